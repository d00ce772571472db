package io.geminik8s.hub.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.agent.Agent;
import io.geminik8s.agent.Main;
import io.geminik8s.agent.backup.BackupLoop;
import io.geminik8s.agent.ha.HaNode;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.hub.witness.PairNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Assumptions;

/**
 * A site's two agents with their own HA and backups on, as Main wires them (backup-run, backup-verify,
 * backup-restore, standby-rebuild), against the test hub; a folder standing for the central repository. Needs root,
 * Debian's postgresql-15 and pgbackrest; skipped without them unless {@code GK8S_REQUIRE_PGBACKREST} is set.
 */
final class BackupPair implements AutoCloseable {

    final PairNodes pair;
    final Map<String, ?> spec;
    final Map<String, BackupLoop> loops = new ConcurrentHashMap<>();

    BackupPair(String site) throws Exception {
        boolean able = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_rewind"))
                && Files.isExecutable(Path.of("/usr/bin/pgbackrest")) && "root".equals(System.getProperty("user.name"));
        if (!able && System.getenv("GK8S_REQUIRE_PGBACKREST") != null) {
            throw new IllegalStateException("root, Debian's postgresql-15 and pgbackrest are required here");
        }
        Assumptions.assumeTrue(able, "skipped: needs root, postgresql-15 and pgbackrest; .ci/run provides them");
        pair = new PairNodes(site);
        Path central = Files.createDirectory(pair.root.resolve("central"));
        assertEquals(0, new ProcessBuilder("chown", "postgres:", central.toString()).start().waitFor());
        spec = Map.of("backup", Map.of("schedule", Map.of("full", "7d"), "retention", Map.of("full", 2),
                "archiveTimeoutSeconds", 30, "repository", Map.of("path", central.toString())));
    }

    PairNodes.Node start(String node, String role) throws Exception {
        BiConsumer<Agent, HaNode> wire = (agent, ha) -> {
            agent.probePostgres(new io.geminik8s.agent.probe.PgProbe(() -> ha.database().connect()));
            ha.backups(() -> spec).ifPresent(l -> {
                loops.put(node, l);
                Main.backupCommands(agent, l);
            });
            Main.restoreCommands(agent, ha);
        };
        return pair.start(node, role, Map.of("GK8S_AGENT_PG_SOCKET_DIR", pair.root.resolve(node + ".sock").toString(),
                "GK8S_AGENT_HEALTH_INTERVAL_S", "1"), wire);
    }

    /**
     * The pair with WAL archiving on: {@code a} bootstraps as primary and sets archive_mode (its first backup fails
     * until PostgreSQL's next start), {@code b} clones it with the setting, and a planned switchover makes {@code b}
     * the primary and {@code a} its synchronous standby. Returns {primary, standby}.
     */
    PairNodes.Node[] archiving() throws Exception {
        PairNodes.Node a = start("a", "primary");
        try {
            loops.get("a").runNow(io.geminik8s.agent.backup.BackupType.FULL).get(60,
                    java.util.concurrent.TimeUnit.SECONDS);
            throw new AssertionError("the first backup waits for archive_mode to take effect");
        } catch (java.util.concurrent.ExecutionException expected) {
            // archive_mode set; it takes effect at the next start
        }
        PairNodes.Node b = start("b", "standby");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> a.ha().supervisor().handOver());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(90))
                .pollInterval(java.time.Duration.ofMillis(200)).ignoreExceptions().until(() ->
                        b.ha().supervisor().state() == io.geminik8s.agent.ha.PairMachine.State.PRIMARY
                                && a.ha().supervisor().state() == io.geminik8s.agent.ha.PairMachine.State.STANDBY
                                && !a.ha().supervisor().rejoining()
                                && b.ha().database().synchronousState().equals("sync"));
        return new PairNodes.Node[] {b, a};
    }

    static Instant serverNow(PgControl pg) throws Exception {
        return Instant.parse(text(pg, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
    }

    static String text(PgControl pg, String query) throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Override
    public void close() throws Exception {
        pair.close();
    }
}
