package io.geminik8s.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.agent.config.HaSettings;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rebuild bootstrap's refusals (docs/backup.md): without the witness's grant nothing is touched and the operator
 * is told what to do; granted but without {@code spec.backup} in time, the failure is journaled for that epoch, the
 * epoch is not kept and never renewed, and the data directory is left empty. The restore itself runs in the hub's
 * {@code RebuildPairTest} (real PostgreSQL and pgBackRest).
 */
class SiteRebuildTest {

    @TempDir
    Path dir;

    private final List<String> events = new ArrayList<>();
    private final List<Op> asked = new ArrayList<>();
    private final List<Long> saved = new ArrayList<>();

    private HaSettings settings() throws Exception {
        Files.writeString(dir.resolve("peer-key"), "k".repeat(40));
        Map<String, String> env = new HashMap<>(Map.of("GK8S_AGENT_SITE", "s1", "GK8S_AGENT_NODE", "a",
                "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:1", "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true",
                "GK8S_AGENT_STATE_DIR", dir.resolve("state").toString(), "GK8S_AGENT_HA_ENABLED", "true",
                "GK8S_AGENT_HA_PEER_NODE", "b", "GK8S_AGENT_HA_PEER_ADDRESS", "127.0.0.1:7999",
                "GK8S_AGENT_PG_DATA", dir.resolve("pg").toString(),
                "GK8S_AGENT_HA_PEER_KEY_FILE", dir.resolve("peer-key").toString()));
        env.putAll(Map.of("GK8S_AGENT_K3S_UNIT", "none", "GK8S_AGENT_VIP_ADDRESS", "192.0.2.10/24",
                "GK8S_AGENT_VIP_DEVICE", "vip0", "GK8S_AGENT_HA_INITIAL_ROLE", "primary",
                "GK8S_AGENT_PG_TRUSTED_NETWORK", "127.0.0.0/8", "GK8S_AGENT_PG_PEER_HOST", "127.0.0.1"));
        return ConfigLoader.load(null, env).ha();
    }

    private SiteRebuild rebuild(HaSettings ha, Map<String, ?> spec) {
        PgControl local = new PgControl(ha.pgBin(), ha.pgData(), "127.0.0.1", 1, "a", null);
        return new SiteRebuild("s1", local, null, () -> spec, (type, severity, message, attrs) ->
                events.add(type + " " + attrs.get("epoch") + " " + message), Duration.ofMillis(300));
    }

    private SiteRebuild.Witness witness(WitnessReply.Outcome rebuild) {
        return (op, epoch) -> {
            asked.add(op);
            return new SiteRebuild.Sent(new WitnessReply("1.0", "r", "s1", "a", 0L, op == Op.REBUILD ? rebuild
                    : WitnessReply.Outcome.GRANTED, epoch, "a", 1500L, null, op == Op.REBUILD
                    && rebuild == WitnessReply.Outcome.REFUSED ? "no rebuild of site s1 is authorized" : null), 0);
        };
    }

    private static WitnessReply refusedBootstrap() {
        return new WitnessReply("1.0", "p", "s1", "a", 0L, WitnessReply.Outcome.REFUSED, 4L, "b", null, null,
                "epoch 1 is not next: current epoch 4 held by b");
    }

    @Test
    void withoutTheWitnesssGrantNothingIsTouchedAndTheOperatorIsToldWhatToDo() throws Exception {
        HaSettings ha = settings();
        Files.createDirectories(ha.pgData().resolve("base"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> rebuild(ha, Map.of())
                .bootstrap("a", ha, refusedBootstrap(), witness(WitnessReply.Outcome.REFUSED), saved::add));
        assertTrue(e.getMessage().contains("site s1 already has epoch 4 held by b: start a as standby; if both nodes"
                + " of the site were lost, authorize its rebuild from the backup repository with 'gk8s backup"
                + " rebuild --site s1'"), e.getMessage());
        assertEquals(List.of(Op.REBUILD), asked, "the next epoch asked for, nothing else");
        assertTrue(events.isEmpty() && saved.isEmpty(), events + " " + saved);
        assertTrue(Files.isDirectory(ha.pgData().resolve("base")), "the data directory left as it was");
    }

    @Test
    void whileTheOldHoldersLeaseRunsTheNodeAsksAgainAfterTheWitnesssRetryInterval() throws Exception {
        HaSettings ha = settings();
        List<WitnessReply.Outcome> answers = new ArrayList<>(List.of(WitnessReply.Outcome.WAIT,
                WitnessReply.Outcome.REFUSED));
        SiteRebuild.Witness witness = (op, epoch) -> {
            asked.add(op);
            return new SiteRebuild.Sent(new WitnessReply("1.0", "r", "s1", "a", 0L, answers.remove(0), 4L, "b", null,
                    150L, "lease of epoch 4 held by b lapses in 150 ms"), 0);
        };
        long t0 = System.nanoTime();
        assertThrows(IllegalStateException.class, () -> rebuild(ha, Map.of()).bootstrap("a", ha, refusedBootstrap(),
                witness, saved::add));
        assertEquals(List.of(Op.REBUILD, Op.REBUILD), asked, "asked again after the wait, then refused");
        assertTrue(System.nanoTime() - t0 >= 150_000_000L, "not before the witness's retry interval");
    }

    @Test
    void grantedWithoutSpecBackupTheFailureIsJournaledAndTheEpochNeitherKeptNorRenewed() throws Exception {
        HaSettings ha = settings();
        Files.createDirectories(ha.pgData().resolve("base"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> rebuild(ha, Map.of("k3s", "v1"))
                .bootstrap("a", ha, refusedBootstrap(), witness(WitnessReply.Outcome.GRANTED), saved::add));
        assertTrue(e.getMessage().contains("no spec.backup in the desired state"), e.getMessage());
        assertEquals(List.of(Op.REBUILD), asked, "never renewed: the epoch's lease is not taken up");
        assertTrue(saved.isEmpty(), "the epoch is not kept: " + saved);
        assertEquals(2, events.size(), events.toString());
        assertTrue(events.get(0).startsWith("backup.rebuild-started 5 "), events.toString());
        assertTrue(events.get(1).startsWith("backup.rebuild-failed 5 "), events.toString());
        try (var files = Files.list(ha.pgData())) {
            assertFalse(files.findAny().isPresent(), "nothing half-restored is left to start");
        }
    }
}
