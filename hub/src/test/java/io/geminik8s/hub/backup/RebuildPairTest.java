package io.geminik8s.hub.backup;

import static io.geminik8s.hub.backup.BackupPair.text;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.witness.PairNodes;
import io.geminik8s.hub.witness.PairTestLease;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A site whose two nodes were both lost, rebuilt on two fresh nodes through the agents and the hub (docs/backup.md):
 * both agents as processes of their own with their HA, real PostgreSQL 15 and pgBackRest, the test hub as witness,
 * broker and source of the desired state (a template with {@code spec.backup}). A full backup, 100 rows of Kine's
 * table archived; both nodes SIGKILLed with everything they started, their disks wiped; a fresh primary is refused
 * and told what to do; the operator's {@code gk8s backup rebuild}; two fresh agents (b as primary, so a's backup is
 * restored onto the other node's directory; a as standby): every archived row back, Kine's ids past a million, the
 * standby synchronous, a write through the primary, the rebuild {@code done} and the site healthy at the hub.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(PairTestLease.class)
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RebuildPairTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    @Test
    void aSiteWhoseNodesWereBothLostIsRebuiltOnFreshNodesAndBackInTheFleet() throws Exception {
        IngestProbe.awaitIngestReady();
        String site = "rb-" + UUID.randomUUID().toString().substring(0, 8);
        try (BackupPair bp = new BackupPair(site);
             AgentProcesses nodes = new AgentProcesses(bp.pair, Map.of("GK8S_AGENT_HEALTH_INTERVAL_S", "1",
                     "GK8S_AGENT_LABELS", "site-kind=" + site + ",size=standard", "GK8S_AGENT_MQTT_KEEPALIVE_S", "2",
                     "GK8S_AGENT_MQTT_WILL_DELAY_S", "0", "GK8S_AGENT_BACKOFF_INITIAL_MS", "200",
                     "GK8S_AGENT_BACKOFF_MAX_MS", "2000", "GK8S_AGENT_HA_LEASE_MS", PairTestLease.LEASE_MS,
                     "GK8S_AGENT_ARTIFACTS_PEER_PORT", "0"))) { // two agents on one host: no peer artifact server
            template(site, bp.pair.root.resolve("central"));
            PgControl a = nodes.database("a");
            nodes.start("a", "primary");
            await().atMost(Duration.ofSeconds(90)).until(() -> witness(site, "holder").equals("a"));
            // archiving is set up by the first backup attempt and takes effect at PostgreSQL's next start: a power
            // cut and a restart of a (it renews its epoch), then b's clone starts with it
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(3)).until(() -> {
                given().contentType("application/json").body("{\"type\":\"full\"}").post("/api/v1/sites/" + site
                        + "/backups"); // 409 until the hub sees a primary; answered failed: archive_mode needs a restart
                return events(site).contains("restart_needed");
            });
            nodes.powerCut("a");
            nodes.start("a", "primary");
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> text(a, "SHOW archive_mode")
                    .equals("on") && text(a, "SELECT pg_is_in_recovery()::text").equals("false"));
            nodes.start("b", "standby");
            PairNodes.awaitStandbyEligible(site, Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> given()
                    .contentType("application/json").body("{\"type\":\"full\"}").post("/api/v1/sites/" + site
                            + "/backups").then().extract().path("node") != null);
            await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> "full".equals(given()
                    .get("/api/v1/sites/" + site + "/backups").then().extract().path("lastGood.attrs.type")));
            // Kine's table (here in postgres) and 100 rows; tried again if a fences meanwhile (a loaded machine)
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
                a.sql("CREATE TABLE IF NOT EXISTS kine (id bigserial PRIMARY KEY, name text UNIQUE)");
                a.sql("INSERT INTO kine (name) SELECT '/registry/' || i FROM generate_series(1, 100) i"
                        + " ON CONFLICT DO NOTHING");
                return true;
            });
            String segment = text(a, "SELECT pg_walfile_name(pg_switch_wal())");
            await().atMost(Duration.ofSeconds(60)).until(() -> segment.compareTo(text(a,
                    "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) <= 0);
            long epoch = ((Number) given().get("/api/v1/sites/" + site + "/witness").then().extract().path("epoch"))
                    .longValue();

            nodes.powerCut("a"); // both nodes lost at once, with their disks
            nodes.powerCut("b");
            nodes.wipe("a");
            nodes.wipe("b");
            await().atMost(Duration.ofSeconds(15)).until(() -> !nodeOnline(site, "a") && !nodeOnline(site, "b"));

            // a fresh primary without an operator's authorization: refused, and told what to do
            Process refused = nodes.start("b", "primary");
            assertTrue(refused.waitFor(120, TimeUnit.SECONDS), "the refused bootstrap ends");
            String log = Files.readString(nodes.log("b", 4));
            assertTrue(log.contains("gk8s backup rebuild --site " + site), log);
            nodes.powerCut("b");
            nodes.wipe("b");
            await().atMost(Duration.ofSeconds(15)).until(() -> !nodeOnline(site, "b"));

            String[] viewer = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "rebuild", "--site", site);
            assertEquals("1", viewer[0], "a viewer cannot rebuild: " + viewer[1]);
            long asked = System.nanoTime();
            String[] answer = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "rebuild", "--site", site, "-o",
                    "json");
            assertEquals("0", answer[0], answer[2]);
            assertTrue(answer[1].contains("\"state\" : \"waiting\""), answer[1]);
            String[] twice = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "rebuild", "--site", site);
            assertEquals("1", twice[0], "one waiting rebuild at a time");
            assertTrue(twice[2].contains("already waiting"), twice[2]);

            PgControl b = nodes.database("b");
            nodes.start("b", "primary");
            nodes.start("a", "standby");
            // supervised and writable: the restore's own server (stopped before the renew) is promoted and bumped
            // too, so the agent's completion (the rebuild done at the hub) comes first
            await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
                    rebuildDone(site) && text(b, "SELECT pg_is_in_recovery()::text").equals("false")
                            && Long.parseLong(text(b, "SELECT last_value FROM kine_id_seq")) > 1_000_000
                            && text(b, "SHOW default_transaction_read_only").equals("off"));
            long writable = (System.nanoTime() - asked) / 1_000_000;
            assertEquals("100 100", text(b, "SELECT count(*) || ' ' || count(DISTINCT name) FROM kine"
                    + " WHERE id < 1000000 AND name ~ '^/registry/[0-9]+$'"), "every archived row is back");
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
                String state = rebuild(site, "state");
                assertTrue(!state.equals("failed") && !state.equals("expired"), given().get("/api/v1/sites/" + site
                        + "/rebuilds").asString());
                return state.equals("done");
            });
            long done = (System.nanoTime() - asked) / 1_000_000;
            assertEquals("b", rebuild(site, "node"));
            assertEquals(Integer.toString((int) epoch + 1), String.valueOf((Object) given().get("/api/v1/sites/" + site
                    + "/rebuilds").then().extract().path("[0].epoch")));
            await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> b.synchronousState().equals("sync"));
            long sync = (System.nanoTime() - asked) / 1_000_000;
            String id = text(b, "INSERT INTO kine (name) VALUES ('/registry/after') RETURNING id");
            assertTrue(Long.parseLong(id) > 1_000_000, "Kine's next revision is past every one a client saw: " + id);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "101".equals(text(a,
                    "SELECT count(*) FROM kine")));
            assertEquals("true", text(a, "SELECT pg_is_in_recovery()::text"), "the fresh standby is no writer");
            assertEquals("0", text(b, "SELECT count(*) FROM pg_file_settings WHERE name LIKE 'recovery_target%'"
                    + " OR name = 'restore_command'"), "no recovery target left for a clone to inherit");
            PairNodes.awaitStandbyEligible(site, Duration.ofSeconds(60));
            assertEquals("b", witness(site, "holder"));
            assertEquals("a", witness(site, "standby"));
            assertEquals(epoch + 1, ((Number) given().get("/api/v1/sites/" + site + "/witness").then().extract()
                    .path("epoch")).longValue(), "one epoch more, and the standby followed it (no other grant)");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                var s = given().get("/api/v1/sites/" + site).then().statusCode(200).extract();
                assertEquals("healthy", s.path("status"), s.asString());
            });
            long healthy = (System.nanoTime() - asked) / 1_000_000;
            String events = events(site);
            assertTrue(events.contains("backup.rebuild-started") && events.contains("backup.rebuild-completed")
                    && events.contains("witness.rebuild-granted"), events);
            String[] listed = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "rebuilds", "--site", site);
            assertTrue(listed[1].startsWith("REBUILD") && listed[1].contains("done"), listed[1]);
            record("latest", writable, done, sync, healthy);
            rebuildTo(site, nodes, b, epoch + 2);
        }
    }

    /**
     * Both nodes lost again, rebuilt to a moment T this time (a as primary now): the rows before the first loss and
     * b's write after the first rebuild are back (the repository has b's timeline: its archiving went on), b's write
     * after T is not; Kine's ids bumped again.
     */
    private void rebuildTo(String site, AgentProcesses nodes, PgControl b, long epoch) throws Exception {
        Instant t = BackupPair.serverNow(b);
        await().atMost(Duration.ofSeconds(5)).until(() -> BackupPair.serverNow(b).isAfter(t.plusMillis(500)));
        b.sql("INSERT INTO kine (name) VALUES ('/registry/late')");
        String late = text(b, "SELECT pg_walfile_name(pg_switch_wal())");
        await().atMost(Duration.ofSeconds(90)).until(() -> late.compareTo(text(b,
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) <= 0);
        nodes.powerCut("a");
        nodes.powerCut("b");
        nodes.wipe("a");
        nodes.wipe("b");
        await().atMost(Duration.ofSeconds(15)).until(() -> !nodeOnline(site, "a") && !nodeOnline(site, "b"));
        long asked = System.nanoTime();
        String[] answer = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "rebuild", "--site", site, "--to",
                t.toString());
        assertEquals("0", answer[0], answer[2]);
        PgControl a = nodes.database("a");
        nodes.start("a", "primary");
        nodes.start("b", "standby");
        await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
                rebuildDone(site) && rebuild(site, "node").equals("a")
                        && text(a, "SELECT pg_is_in_recovery()::text").equals("false")
                        && Long.parseLong(text(a, "SELECT last_value FROM kine_id_seq")) > 2_000_000
                        && text(a, "SHOW default_transaction_read_only").equals("off"));
        long writable = (System.nanoTime() - asked) / 1_000_000;
        assertEquals("100 1 0", text(a, "SELECT count(*) FILTER (WHERE name ~ '^/registry/[0-9]+$') || ' ' || count(*)"
                + " FILTER (WHERE name = '/registry/after') || ' ' || count(*) FILTER (WHERE name = '/registry/late')"
                + " FROM kine"), "every row committed before T, none after");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() ->
                rebuild(site, "state").equals("done") && rebuild(site, "node").equals("a"));
        long done = (System.nanoTime() - asked) / 1_000_000;
        assertEquals(Long.toString(epoch), rebuild(site, "epoch"));
        await().atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> a.synchronousState().equals("sync"));
        long sync = (System.nanoTime() - asked) / 1_000_000;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertEquals("healthy", given().get("/api/v1/sites/" + site).then().extract().path("status")));
        long healthy = (System.nanoTime() - asked) / 1_000_000;
        assertEquals("a", witness(site, "holder"));
        assertEquals(Long.toString(epoch), witness(site, "epoch"));
        record("to T", writable, done, sync, healthy);
    }

    /** The site's template: store-standard with backups into {@code central}, bound to this site only. */
    private static void template(String site, Path central) throws Exception {
        String t = Files.readString(Path.of("../fleet-templates/store-standard.yaml"))
                .replace("name: store-standard", "name: " + site).replace("site-kind: store", "site-kind: " + site)
                + "  backup:\n    schedule: {full: 7d}\n    retention: {full: 2}\n    archiveTimeoutSeconds: 30\n"
                + "    repository: {path: " + central + "}\n";
        given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN).contentType("application/yaml")
                .body(t.getBytes(StandardCharsets.UTF_8)).post("/api/v1/templates").then().statusCode(201);
    }

    private static String witness(String site, String field) {
        Object v = given().get("/api/v1/sites/" + site + "/witness").then().extract().path(field);
        return String.valueOf(v);
    }

    private static String rebuild(String site, String field) {
        return String.valueOf((Object) given().get("/api/v1/sites/" + site + "/rebuilds").then().statusCode(200)
                .extract().path("[0]." + field));
    }

    /** The newest rebuild is done; fails at once when it failed or expired. */
    private static boolean rebuildDone(String site) {
        String state = rebuild(site, "state");
        if (state.equals("failed") || state.equals("expired")) {
            throw new AssertionError(given().get("/api/v1/sites/" + site + "/rebuilds").asString());
        }
        return state.equals("done");
    }

    private static String events(String site) {
        return given().queryParam("limit", 500).get("/api/v1/sites/" + site + "/events").asString();
    }

    private static boolean nodeOnline(String site, String node) {
        List<Map<String, Object>> nodes = given().get("/api/v1/sites/" + site).then().extract().path("nodes");
        return nodes.stream().anyMatch(n -> node.equals(n.get("id")) && Boolean.TRUE.equals(n.get("online")));
    }

    /** One line per run: from the operator's rebuild to the primary writable, done, standby synchronous, healthy. */
    private static void record(String to, long writable, long done, long sync, long healthy) throws Exception {
        String line = String.format("%s rebuild (%s): writable %d ms, done %d ms, standby synchronous %d ms, site"
                + " healthy %d ms%n", Instant.now(), to, writable, done, sync, healthy);
        System.out.print("rebuild RTO " + line);
        Files.writeString(Path.of("target/rebuild-rto.txt"), line, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
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
