package io.geminik8s.hub.backup;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.backup.BackupType;
import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.witness.PairNodes;
import io.geminik8s.hub.witness.PairTestLease;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A scheduled restore test end to end (docs/backup.md): two agents with their own HA on real PostgreSQL 15 and
 * pgBackRest, the test hub. After a planned switchover b is primary and has a full backup; the site is bound to a
 * template whose {@code spec.backup.restoreTest} slot has passed since that backup (its event moved two days back,
 * instead of waiting for a slot); the hub's scheduler sends {@code backup-verify} to the standby a, whose agent
 * restores the repository's newest backup into a scratch copy, starts and checks it: the view shows the pass by a.
 * The set-up is {@link BackupPair#archiving()} (archive_mode through a planned switchover), with {@link PairTestLease}'s
 * timing.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(PairTestLease.class)
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ScheduledRestoreTestPairTest {

    @Inject
    RestoreTestScheduler scheduler;

    @Inject
    Pool pool;

    @Test
    void theHubTestsARestoreOnTheStandbyOnSchedule() throws Exception {
        IngestProbe.awaitIngestReady();
        try (BackupPair bp = new BackupPair("srt-" + UUID.randomUUID().toString().substring(0, 8))) {
            String site = bp.pair.site();
            PairNodes.Node[] pair = bp.archiving(); // b primary with archive_mode on, a its synchronous standby
            PairNodes.Node b = pair[0];
            String full = bp.loops.get("b").runNow(BackupType.FULL).get(120, TimeUnit.SECONDS);
            assertTrue(full.startsWith("full backup "), full);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/sites/" + site
                    + "/backups").then().body("lastGood.node", equalTo("b")));

            String template = "srt-" + site;
            String spec = "{\"spec\": {\"backup\": {\"schedule\": {\"full\": \"7d\"}, \"retention\": {\"full\": 2},"
                    + " \"repository\": {\"path\": \"/srv/b\"}, \"restoreTest\": {\"cron\": \"0 4 * * *\"}}}}";
            pool.preparedQuery("INSERT INTO template_revision (name, revision, source, sha256, yaml, spec, created_by)"
                    + " VALUES ($1, 1, 'api', 'x', 'x', $2::text::jsonb, 'test')").execute(Tuple.of(template, spec))
                    .chain(() -> pool.preparedQuery("INSERT INTO site_binding (site_id, template, revision, generation,"
                            + " published_generation) VALUES ($1, $2, 1, 1, 1)").execute(Tuple.of(site, template)))
                    .chain(() -> pool.preparedQuery("UPDATE node_event SET ts = ts - interval '2 days' WHERE site_id = $1"
                            + " AND type = 'backup.completed'").execute(Tuple.of(site)))
                    .await().atMost(Duration.ofSeconds(10));

            // the scheduler's ticks (the periodic job runs them too) until the standby's result is in
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                scheduler.tick().await().atMost(Duration.ofSeconds(10));
                given().get("/api/v1/sites/" + site + "/backups").then()
                        .body("lastRestoreTest.type", equalTo("backup.restore-tested"));
            });
            given().get("/api/v1/sites/" + site + "/backups").then().body("lastRestoreTest.node", equalTo("a"))
                    .body("restoreTest.lastPassed.node", equalTo("a")).body("restoreTest.old", equalTo(false))
                    .body("restoreTest.schedule", equalTo("cron '0 4 * * *' UTC"));
            assertEquals(PairMachine.State.PRIMARY, b.ha().supervisor().state(), "the primary was left alone");
        }
    }
}
