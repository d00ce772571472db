package io.geminik8s.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.config.ConfigException;
import io.geminik8s.agent.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void fileValuesAreOverriddenByEnvironment() throws Exception {
        Path file = dir.resolve("agent.properties");
        Files.writeString(file, "site=store-1\nnode=a\nbroker.url=ssl://hub.example:8883\nhealth.interval-s=10\n"
                + "labels=region=eu,kind=store\npostgres.password=s3cret\n");
        AgentConfig c = ConfigLoader.load(file, Map.of("GK8S_AGENT_NODE", "b", "GK8S_AGENT_HEALTH_INTERVAL_S", "5"));
        assertEquals("store-1", c.site());
        assertEquals("b", c.node());
        assertEquals(Duration.ofSeconds(5), c.healthInterval());
        assertEquals(Map.of("region", "eu", "kind", "store"), c.labels());
        assertTrue(c.tlsEnabled());
        assertEquals("gk8s-store-1-b", c.clientId());
        assertFalse(c.toString().contains("s3cret"), "secrets never printed");
        assertEquals(Duration.ofSeconds(60), c.willDelay(), "a broker restart is not a node death by default");
        assertEquals(Duration.ofSeconds(30), c.backoffMax(), "back within 30 s of an outage's end by default");
        assertEquals(Duration.ofSeconds(150), c.keepalive(),
                "a dead connection noticed within 150 s: every 4th sample's PUBACK, no pings"
                        + " (load-tests/reports/agent-wire.md)");
    }

    @Test
    void aWillDelayLongerThanTheSessionIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "GK8S_AGENT_SITE", "s", "GK8S_AGENT_NODE", "a", "GK8S_AGENT_BROKER_URL", "ssl://h:8883",
                "GK8S_AGENT_MQTT_SESSION_EXPIRY_S", "30", "GK8S_AGENT_MQTT_WILL_DELAY_S", "60")));
        assertTrue(e.getMessage().contains("mqtt.will-delay-s"), e.getMessage());
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "GK8S_AGENT_SITE", "Store 1", "GK8S_AGENT_BROKER_URL", "tcp://localhost:1883",
                "GK8S_AGENT_HEALTH_INTERVAL_S", "often", "GK8S_AGENT_TLS_CERT", dir.resolve("missing.pem").toString(),
                "GK8S_AGENT_LABELS", "novalue")));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("site: 'Store 1' is not a DNS label"), all);
        assertTrue(all.contains("node: required"), all);
        assertTrue(all.contains("plain tcp:// is refused unless broker.allow-plaintext=true"), all);
        assertTrue(all.contains("health.interval-s: 'often' is not a whole number"), all);
        assertTrue(all.contains("tls.cert: file"), all);
        assertTrue(all.contains("tls.cert and tls.key: give both or neither"), all);
        assertTrue(all.contains("labels: 'novalue' is not key=value"), all);
        assertEquals(7, e.problems().size(), all);
    }

    @Test
    void haWithoutAPeerKeyOrWithAShortOneIsRefused() throws Exception {
        java.util.Map<String, String> env = new java.util.HashMap<>(Map.of("GK8S_AGENT_SITE", "s1",
                "GK8S_AGENT_NODE", "a", "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:1883",
                "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true", "GK8S_AGENT_HA_ENABLED", "true",
                "GK8S_AGENT_HA_PEER_NODE", "b", "GK8S_AGENT_HA_INITIAL_ROLE", "primary",
                "GK8S_AGENT_HA_PEER_ADDRESS", "127.0.0.2:7946", "GK8S_AGENT_PG_DATA", dir.resolve("pg").toString()));
        env.putAll(Map.of("GK8S_AGENT_PG_PEER_HOST", "127.0.0.2", "GK8S_AGENT_VIP_ADDRESS", "192.0.2.10/24",
                "GK8S_AGENT_VIP_DEVICE", "eth0"));
        ConfigException none = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env));
        assertEquals(List.of("ha.peer-key-file: required with ha.enabled=true", "pg.secret-file: required with"
                + " ha.enabled=true (the site's database secret, from enrollment); pg.trusted-network instead only in"
                + " test setups"), none.problems());
        env.put("GK8S_AGENT_PG_SECRET_FILE", Files.writeString(dir.resolve("pg.secret"), "cd".repeat(32)).toString());

        env.put("GK8S_AGENT_HA_PEER_KEY_FILE", Files.writeString(dir.resolve("short.key"), "secret").toString());
        ConfigException shortKey = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env));
        assertTrue(shortKey.problems().get(0).contains("at least 32 characters"), shortKey.getMessage());

        env.put("GK8S_AGENT_HA_PEER_KEY_FILE", Files.writeString(dir.resolve("peer.key"), "ab".repeat(32)).toString());
        AgentConfig ok = ConfigLoader.load(null, env);
        assertEquals(new io.geminik8s.agent.ha.PeerKey("ab".repeat(32).getBytes()), ok.ha().peerKey());
        assertFalse(ok.ha().toString().contains("abab"), "the key never shows in a dump of the settings");
        assertFalse(ok.ha().toString().contains("cdcd"), "nor the database secret");
        assertEquals(new io.geminik8s.agent.pg.PgSecret("cd".repeat(32)).password("postgres"),
                ok.ha().pgSecret().password("postgres"));

        assertTrue(ok.ha().pgTls(), "TLS with the secret");
        assertEquals("192.0.2.0/24", ok.ha().pgClientNetwork(), "the VIP's site LAN, not samenet");
        env.put("GK8S_AGENT_PG_TLS", "off");
        assertFalse(ConfigLoader.load(null, env).ha().pgTls());
        env.put("GK8S_AGENT_PG_TLS", "maybe");
        assertEquals(List.of("pg.tls: on or off, got 'maybe'"),
                assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env)).problems());
        env.remove("GK8S_AGENT_PG_TLS");
        env.put("GK8S_AGENT_PG_TRUSTED_NETWORK", "10.0.0.0/24"); // a test setup that enrolled since: the secret wins
        AgentConfig both = ConfigLoader.load(null, env);
        assertEquals(null, both.ha().pgTrustedNetwork());
        env.remove("GK8S_AGENT_PG_TRUSTED_NETWORK");
        env.put("GK8S_AGENT_PG_CLIENT_NETWORK", "10.0.0.0/33");
        assertEquals(List.of("pg.client-network: a CIDR like 10.0.0.0/24, or samenet"),
                assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env)).problems());
        env.remove("GK8S_AGENT_PG_CLIENT_NETWORK");
        // the peer's paths for the peer repository: this node's own unless set
        assertEquals(dir.resolve("pg"), ok.ha().pgPeerData());
        assertEquals(null, ok.ha().pgPeerSocketDir(), "no socket folder here, none for the peer");
        env.putAll(Map.of("GK8S_AGENT_PG_SOCKET_DIR", "/run/gk8s-a", "GK8S_AGENT_PG_PEER_DATA", "/srv/b/pg",
                "GK8S_AGENT_PG_PEER_SOCKET_DIR", "/run/gk8s-b"));
        AgentConfig peerPaths = ConfigLoader.load(null, env);
        assertEquals(java.nio.file.Path.of("/srv/b/pg"), peerPaths.ha().pgPeerData());
        assertEquals(java.nio.file.Path.of("/run/gk8s-b"), peerPaths.ha().pgPeerSocketDir());
        env.remove("GK8S_AGENT_PG_PEER_SOCKET_DIR");
        assertEquals(java.nio.file.Path.of("/run/gk8s-a"), ConfigLoader.load(null, env).ha().pgPeerSocketDir());
        env.put("GK8S_AGENT_PG_PEER_SOCKET_DIR", "relative");
        assertEquals(List.of("pg.peer-socket-dir: an absolute path of at most 80 characters, got 'relative'"),
                assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env)).problems());
        env.remove("GK8S_AGENT_PG_PEER_SOCKET_DIR");
        env.put("GK8S_AGENT_PG_PEER_DATA", "srv/b/pg");
        assertEquals(List.of("pg.peer-data: an absolute path, got 'srv/b/pg'"),
                assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env)).problems());
        env.remove("GK8S_AGENT_PG_PEER_DATA");
        env.put("GK8S_AGENT_PG_SECRET_FILE", Files.writeString(dir.resolve("short.secret"), "secret").toString());
        ConfigException shortSecret = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env));
        assertTrue(shortSecret.problems().get(0).startsWith("pg.secret-file: "), shortSecret.getMessage());
        assertTrue(shortSecret.problems().get(0).contains("at least 32 characters"), shortSecret.getMessage());
    }

    @Test
    void plaintextNeedsExplicitConsent() {
        AgentConfig c = ConfigLoader.load(null, Map.of("GK8S_AGENT_SITE", "s1", "GK8S_AGENT_NODE", "a",
                "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:1883", "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true"));
        assertFalse(c.tlsEnabled());
    }

    @Test
    void helpListsEveryKeyAndBadArgumentsExitWith2() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[] {"--help"}, Map.of(), new PrintStream(out), new PrintStream(err)));
        assertTrue(out.toString().contains("broker.url") && out.toString().contains("GK8S_AGENT_")
                && out.toString().contains("enroll.hardware-id-file"), out.toString());
        assertEquals(2, Main.run(new String[] {"--bogus"}, Map.of(), new PrintStream(out), new PrintStream(err)));
        assertEquals(2, Main.run(new String[0], Map.of(), new PrintStream(out), new PrintStream(err)));
        assertTrue(err.toString().contains("site: required"), err.toString());
    }
}
