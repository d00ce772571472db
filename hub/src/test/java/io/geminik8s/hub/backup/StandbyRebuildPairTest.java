package io.geminik8s.hub.backup;

import static io.geminik8s.hub.backup.BackupPair.text;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
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
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code gk8s backup rebuild-standby --site S --from repository} end to end (docs/backup.md): two agents with their
 * own HA on real PostgreSQL 15 and pgBackRest, the test hub as witness and broker. A full backup, rows archived after
 * it and rows only streamed; the standby's data is replaced from the repository (pgBackRest's restore as a standby,
 * its restore_command pgBackRest's archive-get — a base backup of the primary's would have none), it replays the
 * archived WAL, streams the rest, is synchronous again and has every row. Plus what a hostile or mistaken operator
 * gets: a viewer refused, another source or a misspelt field 400, an unknown site 404, no token 401.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(PairTestLease.class)
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class StandbyRebuildPairTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    @Test
    void aStandbyIsRebuiltFromTheRepositoryThroughTheHub() throws Exception {
        IngestProbe.awaitIngestReady();
        try (BackupPair bp = new BackupPair("sr-" + UUID.randomUUID().toString().substring(0, 8))) {
            String site = bp.pair.site();
            PairNodes.Node[] nodes = bp.archiving();
            PairNodes.Node primary = nodes[0];
            PairNodes.Node standby = nodes[1];
            PgControl pp = primary.ha().database();
            PgControl ps = standby.ha().database();
            String full = bp.loops.get(primary.config().node()).runNow(BackupType.FULL).get(120, TimeUnit.SECONDS);
            assertTrue(full.startsWith("full backup "), full);
            pp.sql("CREATE TABLE t (id int PRIMARY KEY)");
            pp.sql("INSERT INTO t SELECT generate_series(1, 30)");
            String segment = text(pp, "SELECT pg_walfile_name(pg_switch_wal())");
            await().atMost(Duration.ofSeconds(60)).until(() -> segment.equals(text(pp,
                    "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")));
            pp.sql("INSERT INTO t SELECT generate_series(31, 50)"); // streamed, not yet archived
            assertEquals("", text(ps, "SELECT current_setting('restore_command')"), "a clone of the primary's");

            String path = "/api/v1/sites/" + site + "/standby-rebuilds";
            given().header("Authorization", "Bearer nope").contentType("application/json").body("{}").post(path)
                    .then().statusCode(401);
            String[] viewer = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "rebuild-standby", "--site", site);
            assertEquals("1", viewer[0], "a viewer cannot rebuild: " + viewer[1]);
            given().contentType("application/json").body("{\"from\":\"disk\"}").post(path).then().statusCode(400)
                    .body("detail", containsString("primary, repository or peer"));
            given().contentType("application/json").body("{\"form\":\"repository\"}").post(path).then()
                    .statusCode(400).body("detail", containsString("unknown field 'form'"));
            given().contentType("application/json").body("{\"from\":7}").post(path).then().statusCode(400);
            given().contentType("application/json").body("{}").post("/api/v1/sites/no-such-site/standby-rebuilds")
                    .then().statusCode(404);

            String[] answer = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "rebuild-standby", "--site", site,
                    "--from", "repository", "-o", "json");
            assertEquals("0", answer[0], answer[2]);
            assertTrue(answer[1].contains("\"node\" : \"" + standby.config().node() + "\"")
                    && answer[1].contains("\"from\" : \"repository\""), answer[1]);
            // replaced by pgBackRest's restore (its restore_command is archive-get), then following and synchronous
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                    text(ps, "SELECT current_setting('restore_command')").contains("archive-get")
                            && standby.ha().supervisor().state() == PairMachine.State.STANDBY
                            && !standby.ha().supervisor().rejoining() && pp.synchronousState().equals("sync"));
            await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/api/v1/sites/" + site + "/events")
                    .asString().contains("standby rebuild from the backup repository"));
            assertTrue(!given().get("/api/v1/sites/" + site + "/events").asString().contains("ha.rejoin-failed"),
                    "the first copy worked");
            pp.sql("INSERT INTO t VALUES (51)"); // synchronous: acknowledged once the rebuilt standby has it
            assertEquals("51 1 51", text(ps, "SELECT count(*) || ' ' || min(id) || ' ' || max(id) FROM t"),
                    "archived, streamed and new rows all on the rebuilt standby");
            assertEquals("true", text(ps, "SELECT pg_is_in_recovery()::text"));
        }
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
