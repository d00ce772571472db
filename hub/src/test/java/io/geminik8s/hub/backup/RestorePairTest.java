package io.geminik8s.hub.backup;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.Agent;
import io.geminik8s.agent.Main;
import io.geminik8s.agent.backup.BackupLoop;
import io.geminik8s.agent.backup.BackupType;
import io.geminik8s.agent.ha.HaNode;
import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.witness.PairNodes;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code gk8s backup restore --site S --to T} end to end (docs/backup.md): two agents with their own HA on real
 * PostgreSQL 15 and pgBackRest, the test hub as witness and broker. A full backup, 50 rows of Kine's table, T, 50
 * more; the CLI asks the hub; the primary pauses its supervision, has the standby recorded not eligible, restores to
 * T, bumps Kine's ids and resumes as holder of its epoch; the hub then has the standby rebuilt; the restore ends
 * {@code done}: the primary has rows 1-50 and none after, Kine's next id is past a million, the standby streams
 * synchronously with the same rows; a second restore while one runs is refused (409).
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RestorePairTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    private PairNodes pair;

    @AfterEach
    void cleanUp() throws Exception {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void aSiteIsRestoredToAMomentThroughTheHubAndItsStandbyRebuilt() throws Exception {
        boolean able = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_rewind"))
                && Files.isExecutable(Path.of("/usr/bin/pgbackrest")) && "root".equals(System.getProperty("user.name"));
        if (!able && System.getenv("GK8S_REQUIRE_PGBACKREST") != null) {
            throw new IllegalStateException("root, Debian's postgresql-15 and pgbackrest are required here");
        }
        Assumptions.assumeTrue(able, "skipped: needs root, postgresql-15 and pgbackrest; .ci/run provides them");
        IngestProbe.awaitIngestReady();
        String site = "rs-" + UUID.randomUUID().toString().substring(0, 8);
        pair = new PairNodes(site);
        Path central = Files.createDirectory(pair.root.resolve("central"));
        assertEquals(0, new ProcessBuilder("chown", "postgres:", central.toString()).start().waitFor());
        Map<String, ?> spec = Map.of("backup", Map.of("schedule", Map.of("full", "7d"), "retention",
                Map.of("full", 2), "archiveTimeoutSeconds", 10, "repository", Map.of("path", central.toString())));
        Map<String, BackupLoop> loops = new ConcurrentHashMap<>();
        PairNodes.Node a = start("a", "primary", spec, loops);
        // archiving is set up by the first backup attempt and takes effect at PostgreSQL's next start
        assertThrows(() -> loops.get("a").runNow(BackupType.FULL).get(60, TimeUnit.SECONDS));
        pair.powerOff(a);
        a = start("a", "primary", spec, loops); // alone: it renews its epoch, PostgreSQL starts archiving
        PairNodes.Node b = start("b", "standby", spec, loops);
        PgControl pa = a.ha().database();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> pa.synchronousState().equals("sync"));
        String full = loops.get("a").runNow(BackupType.FULL).get(120, TimeUnit.SECONDS);
        assertTrue(full.startsWith("full backup "), full);
        Instant backedUp = serverNow(pa);

        pa.sql("CREATE TABLE kine (id bigserial PRIMARY KEY, name text)"); // Kine's table (here in postgres)
        await().atMost(Duration.ofSeconds(5)).until(() -> serverNow(pa).isAfter(backedUp.plusSeconds(1)));
        for (int i = 1; i <= 50; i++) {
            pa.sql("INSERT INTO kine (name) VALUES ('/registry/" + i + "')");
        }
        Instant t = serverNow(pa);
        for (int i = 51; i <= 100; i++) {
            pa.sql("INSERT INTO kine (name) VALUES ('/registry/" + i + "')");
        }
        String segment = text(pa, "SELECT pg_walfile_name(pg_switch_wal())");
        await().atMost(Duration.ofSeconds(60)).until(() -> segment.equals(text(pa,
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")));

        String[] viewer = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "restore", "--site", site, "--to",
                t.toString());
        assertEquals("1", viewer[0], "a viewer cannot restore: " + viewer[1]);
        String[] asked = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "restore", "--site", site, "--to",
                t.toString(), "-o", "json");
        assertEquals("0", asked[0], asked[2]);
        assertTrue(asked[1].contains("\"state\" : \"restoring\"") && asked[1].contains("\"primary\" : \"a\"")
                && asked[1].contains("\"standby\" : \"b\""), asked[1]);
        given().contentType("application/json").body("{}").post("/api/v1/sites/" + site + "/restores").then()
                .statusCode(409).body("detail", containsString("is running"));

        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> {
            String state = given().get("/api/v1/sites/" + site + "/restores").then().statusCode(200).extract()
                    .path("[0].state");
            assertTrue(!state.equals("failed") && !state.equals("expired"), given().get("/api/v1/sites/" + site
                    + "/restores").asString());
            return state.equals("done");
        });
        PairNodes.Node fa = a;
        PgControl pb = b.ha().database();
        assertEquals(PairMachine.State.PRIMARY, fa.ha().supervisor().state());
        assertEquals("50 1 50", text(pa, "SELECT count(*) || ' ' || min(id) || ' ' || max(id) FROM kine"),
                "every row committed before T, none after");
        assertTrue(Long.parseLong(text(pa, "SELECT nextval('kine_id_seq')")) > 1_000_000, "Kine's ids bumped");
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> pa.synchronousState().equals("sync"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the standby is not synchronous again: " + text(pa, "SELECT coalesce(string_agg("
                    + "application_name || ' ' || state || ' ' || sync_state, ', '), 'none') FROM pg_stat_replication")
                    + "; synchronous_standby_names '" + text(pa, "SHOW synchronous_standby_names") + "'; b "
                    + b.ha().supervisor().state() + ", receiving " + pb.receiving(), e);
        }
        pa.sql("INSERT INTO kine (name) VALUES ('/registry/after')"); // writes again, synchronously replicated
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "51".equals(text(pb,
                "SELECT count(*) FROM kine")));
        assertEquals(PairMachine.State.STANDBY, b.ha().supervisor().state());
        assertEquals("true", text(pb, "SELECT pg_is_in_recovery()::text"), "the rebuilt standby is no writer");
        assertEquals("0", text(pa, "SELECT count(*) FROM pg_file_settings WHERE name LIKE 'recovery_target%'"
                + " OR name = 'restore_command'"), "no recovery target left for a clone to inherit");
        String events = given().get("/api/v1/sites/" + site + "/events").asString();
        assertTrue(events.contains("backup.restore-started") && events.contains("backup.restore-completed")
                && events.contains("ha.rebuild") && events.contains("ha.rejoined"), events);
        String[] listed = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "restores", "--site", site);
        assertTrue(listed[1].startsWith("RESTORE") && listed[1].contains("done"), listed[1]);

        // the restore test: on the standby, the newest backup (taken before the restore) into a scratch copy
        String[] test = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "test", "--site", site);
        assertEquals("0", test[0], test[2]);
        assertTrue(test[1].contains(" b "), "sent to the standby: " + test[1]);
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> given().get("/api/v1/sites/" + site + "/backups")
                .then().body("lastRestoreTest.type", org.hamcrest.Matchers.equalTo("backup.restore-tested"))
                .body("lastRestoreTest.node", org.hamcrest.Matchers.equalTo("b")));
        String[] list = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "list", "--site", site);
        assertTrue(list[1].contains("backup.restore-tested"), list[1]);
    }

    private PairNodes.Node start(String node, String role, Map<String, ?> spec, Map<String, BackupLoop> loops)
            throws Exception {
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

    private interface Failing {
        void run() throws Exception;
    }

    private static void assertThrows(Failing f) {
        try {
            f.run();
        } catch (Exception e) {
            return;
        }
        throw new AssertionError("expected a failure");
    }

    private String[] gk8s(String token, String... args) {
        var out = new java.io.StringWriter();
        var err = new java.io.StringWriter();
        int code = io.geminik8s.cli.Gk8s.run(Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", token,
                "GK8S_CONFIG", "target/no-gk8s-config.yaml"), new java.io.PrintWriter(out),
                new java.io.PrintWriter(err), args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    private static Instant serverNow(PgControl pg) throws Exception {
        return Instant.parse(text(pg, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
    }

    private static String text(PgControl pg, String query) throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
