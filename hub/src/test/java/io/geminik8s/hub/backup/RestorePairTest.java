package io.geminik8s.hub.backup;

import static io.geminik8s.hub.backup.BackupPair.serverNow;
import static io.geminik8s.hub.backup.BackupPair.text;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.backup.BackupType;
import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.witness.PairNodes;
import io.geminik8s.hub.witness.PairTestLease;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code gk8s backup restore --site S --to T} end to end (docs/backup.md): two agents with their own HA on real
 * PostgreSQL 15 and pgBackRest, the test hub as witness and broker. A full backup, 50 rows of Kine's table, T, 50
 * more; the CLI asks the hub; the primary pauses its supervision, has the standby recorded not eligible, restores to
 * T, bumps Kine's ids and resumes as holder of its epoch; the hub then has the standby rebuilt; the restore ends
 * {@code done}: the primary has rows 1-50 and none after, Kine's next id is past a million, the standby streams
 * synchronously with the same rows; a second restore while one runs is refused (409); then a restore test on the
 * standby. {@code -Dgk8s.restore.runs=N} repeats it on fresh pairs and appends the timings to
 * {@code target/restore-rto.txt}.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(PairTestLease.class)
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RestorePairTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    @Test
    void aSiteIsRestoredToAMomentThroughTheHubAndItsStandbyRebuilt() throws Exception {
        IngestProbe.awaitIngestReady();
        int runs = Integer.getInteger("gk8s.restore.runs", 1);
        for (int run = 1; run <= runs; run++) {
            try (BackupPair site = new BackupPair("rs-" + UUID.randomUUID().toString().substring(0, 8))) {
                restore(site, run);
            }
        }
    }

    private void restore(BackupPair bp, int run) throws Exception {
        String site = bp.pair.site();
        PairNodes.Node a = bp.start("a", "primary");
        // archiving is set up by the first backup attempt and takes effect at PostgreSQL's next start: b's clone
        // starts with it; a planned switchover makes b the primary (a restarts as its standby), as an upgrade would
        assertFails(() -> bp.loops.get("a").runNow(BackupType.FULL).get(60, TimeUnit.SECONDS));
        PairNodes.Node b = bp.start("b", "standby");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> a.ha().database().synchronousState()
                .equals("sync"));
        // once the hub counts b eligible (peer-ok) and a's machine has it synchronous: until then handOver refuses
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> a.ha().supervisor().handOver());
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                b.ha().supervisor().state() == PairMachine.State.PRIMARY
                        && a.ha().supervisor().state() == PairMachine.State.STANDBY && !a.ha().supervisor().rejoining());
        PairNodes.Node primary = b;
        PairNodes.Node standby = a;
        PgControl pa = primary.ha().database();
        PgControl pb = standby.ha().database();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> pa.synchronousState().equals("sync"));
        String full = bp.loops.get("b").runNow(BackupType.FULL).get(120, TimeUnit.SECONDS);
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
        long asked = System.nanoTime();
        String[] answer = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "restore", "--site", site, "--to",
                t.toString(), "-o", "json");
        assertEquals("0", answer[0], answer[2]);
        assertTrue(answer[1].contains("\"state\" : \"restoring\"") && answer[1].contains("\"primary\" : \"b\"")
                && answer[1].contains("\"standby\" : \"a\""), answer[1]);
        given().contentType("application/json").body("{}").post("/api/v1/sites/" + site + "/restores").then()
                .statusCode(409).body("detail", containsString("is running"));
        // the primary is back under supervision, restored (Kine's ids bumped), and takes a write: the RTO. Read-only
        // until then: this client reaches the node's own address, not the VIP that the restore takes away
        PairNodes.Node restoring = primary;
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() ->
                restoring.ha().supervisor() != null
                        && restoring.ha().supervisor().state() == PairMachine.State.PRIMARY
                        && Long.parseLong(text(pa, "SELECT last_value FROM kine_id_seq")) > 1_000_000);
        assertTrue(Long.parseLong(text(pa, "INSERT INTO kine (name) VALUES ('/registry/after') RETURNING id"))
                > 1_000_000, "Kine's next revision is past every one a client saw");
        long writable = (System.nanoTime() - asked) / 1_000_000;
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> {
            String state = given().get("/api/v1/sites/" + site + "/restores").then().statusCode(200).extract()
                    .path("[0].state");
            assertTrue(!state.equals("failed") && !state.equals("expired"), given().get("/api/v1/sites/" + site
                    + "/restores").asString());
            return state.equals("done");
        });
        long done = (System.nanoTime() - asked) / 1_000_000;
        assertEquals(PairMachine.State.PRIMARY, primary.ha().supervisor().state());
        assertEquals("50 1 50", text(pa, "SELECT count(*) || ' ' || min(id) || ' ' || max(id) FROM kine"
                + " WHERE id < 1000000"), "every row committed before T, none after");
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> pa.synchronousState().equals("sync"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the standby is not synchronous again: " + text(pa, "SELECT coalesce(string_agg("
                    + "application_name || ' ' || state || ' ' || sync_state, ', '), 'none') FROM pg_stat_replication")
                    + "; standby " + standby.ha().supervisor().state() + ", receiving " + pb.receiving(), e);
        }
        long sync = (System.nanoTime() - asked) / 1_000_000;
        pa.sql("INSERT INTO kine (name) VALUES ('/registry/synchronous')"); // replicated synchronously
        String rows = text(pa, "SELECT count(*) FROM kine");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> rows.equals(text(pb,
                "SELECT count(*) FROM kine")));
        assertEquals(PairMachine.State.STANDBY, standby.ha().supervisor().state());
        assertEquals("true", text(pb, "SELECT pg_is_in_recovery()::text"), "the rebuilt standby is no writer");
        assertEquals("0", text(pa, "SELECT count(*) FROM pg_file_settings WHERE name LIKE 'recovery_target%'"
                + " OR name = 'restore_command'"), "no recovery target left for a clone to inherit");
        String events = given().get("/api/v1/sites/" + site + "/events").asString();
        assertTrue(events.contains("backup.restore-started") && events.contains("backup.restore-completed")
                && events.contains("ha.rebuild") && events.contains("ha.rejoined"), events);
        String[] listed = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "restores", "--site", site);
        assertTrue(listed[1].startsWith("RESTORE") && listed[1].contains("done"), listed[1]);
        record(run, writable, done, sync);

        // the restore test: on the standby, the newest backup (taken before the restore) into a scratch copy
        String[] test = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "test", "--site", site);
        assertEquals("0", test[0], test[2]);
        // the standby as the hub last saw it (a re-cloned node may still count as unknown: then the primary)
        String tester = test[1].contains(" a ") ? "a" : "b";
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> given().get("/api/v1/sites/" + site + "/backups")
                .then().body("lastRestoreTest.type", equalTo("backup.restore-tested"))
                .body("lastRestoreTest.node", equalTo(tester)));
        String[] list = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "list", "--site", site);
        assertTrue(list[1].contains("backup.restore-tested"), list[1]);
    }

    /** One line per run: request to the primary writable, to done (standby re-cloned), to synchronous again. */
    private static void record(int run, long writable, long done, long sync) throws Exception {
        String line = String.format("%s run %d: writable again %d ms, restore done %d ms, standby synchronous %d ms%n",
                Instant.now(), run, writable, done, sync);
        System.out.print("restore RTO " + line);
        Files.writeString(Path.of("target/restore-rto.txt"), line, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    private interface Failing {
        void run() throws Exception;
    }

    private static void assertFails(Failing f) {
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
}
