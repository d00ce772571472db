package io.geminik8s.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's side of force-promote: refusals with reasons, and the request/answer files the agent serves. */
class ForcePromoteCommandTest {

    @TempDir
    Path state;

    @TempDir
    Path secrets;

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("GK8S_AGENT_SITE", "store-1");
        env.put("GK8S_AGENT_NODE", "b");
        env.put("GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:1");
        env.put("GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true");
        env.put("GK8S_AGENT_STATE_DIR", state.toString());
        env.put("GK8S_AGENT_HA_ENABLED", "true");
        env.put("GK8S_AGENT_HA_PEER_NODE", "a");
        env.put("GK8S_AGENT_HA_INITIAL_ROLE", "standby");
        env.put("GK8S_AGENT_HA_LISTEN", "127.0.0.1:7946");
        env.put("GK8S_AGENT_HA_PEER_ADDRESS", "127.0.0.2:7946");
        env.put("GK8S_AGENT_HA_PEER_KEY_FILE", peerKeyFile().toString());
        env.put("GK8S_AGENT_PG_DATA", state.resolve("pg").toString());
        env.put("GK8S_AGENT_PG_PEER_HOST", "127.0.0.2");
        env.put("GK8S_AGENT_PG_TRUSTED_NETWORK", "127.0.0.0/8");
        env.put("GK8S_AGENT_VIP_ADDRESS", "198.51.100.10/24");
        env.put("GK8S_AGENT_VIP_DEVICE", "eth0");
        env.put("SUDO_USER", "alice");
        return env;
    }

    private Path peerKeyFile() {
        try {
            return Files.writeString(secrets.resolve("peer.key"), "0123456789abcdef0123456789abcdef\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private record Run(int code, String out, String err) {
    }

    private Run run(Map<String, String> env, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "force-promote";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.run(all, env, new PrintStream(out, true), new PrintStream(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void refusedWithoutConsentOrReasonOrHa() throws Exception {
        Run noConsent = run(env(), "--reason", "primary burnt");
        assertEquals(2, noConsent.code());
        assertTrue(noConsent.err().contains("--accept-data-loss is required"), noConsent.err());
        Run noReason = run(env(), "--accept-data-loss");
        assertEquals(2, noReason.code());
        assertTrue(noReason.err().contains("a reason is required"), noReason.err());
        Map<String, String> noHa = env();
        noHa.remove("GK8S_AGENT_HA_ENABLED");
        Run off = run(noHa, "--accept-data-loss", "--reason", "x");
        assertEquals(2, off.code());
        assertTrue(off.err().contains("HA is not enabled"), off.err());
        assertEquals(0, Files.list(state).count(), "nothing was requested");
    }

    @Test
    void theRequestCarriesOperatorAndReasonAndTheAgentsAnswerIsPrintedAndAudited() throws Exception {
        CompletableFuture<Run> cli = CompletableFuture.supplyAsync(() -> {
            try {
                return run(env(), "--accept-data-loss", "--reason", "node a burnt, hub link down", "--wait-s", "20");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Path request = state.resolve("force-promote.request");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> Files.exists(request));
        var taken = io.geminik8s.agent.ha.ForcePromoteRequestAccess.takeAndAnswer(state, true, "b holds epoch 4");
        assertEquals("alice", taken.operator());
        assertEquals("node a burnt, hub link down", taken.reason());
        Run r = cli.get(20, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.err());
        assertEquals("granted: b holds epoch 4", r.out().trim());
        String audit = Files.readString(state.resolve("ha-audit.log"));
        assertTrue(audit.contains("force-promote by alice (node a burnt, hub link down): granted"), audit);
    }
}
