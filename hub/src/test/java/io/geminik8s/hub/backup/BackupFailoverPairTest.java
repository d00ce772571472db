package io.geminik8s.hub.backup;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
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
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Backups go on across a failover the HA supervisor decides (docs/backup.md): two agents with their own HA on real
 * PostgreSQL 15 and pgBackRest, the test hub as witness. A full backup from the primary b; b powered off; the hub
 * grants a the next epoch; the hub's run-now goes to a, whose incremental backup lands in the same repository on the
 * new timeline, and the site's view shows it.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(PairTestLease.class)
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class BackupFailoverPairTest {

    @Test
    void theNewPrimaryBacksUpIntoTheSameRepository() throws Exception {
        IngestProbe.awaitIngestReady();
        try (BackupPair bp = new BackupPair("bf-" + UUID.randomUUID().toString().substring(0, 8))) {
            String site = bp.pair.site();
            PairNodes.Node a = bp.start("a", "primary");
            assertFails(() -> bp.loops.get("a").runNow(BackupType.FULL).get(60, TimeUnit.SECONDS)); // archive_mode set
            PairNodes.Node b = bp.start("b", "standby"); // starts with it
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> a.ha().supervisor().handOver());
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                    b.ha().supervisor().state() == PairMachine.State.PRIMARY
                            && a.ha().supervisor().state() == PairMachine.State.STANDBY
                            && !a.ha().supervisor().rejoining()
                            && b.ha().database().synchronousState().equals("sync"));
            String full = bp.loops.get("b").runNow(BackupType.FULL).get(120, TimeUnit.SECONDS);
            assertTrue(full.startsWith("full backup "), full);
            b.ha().database().sql("CREATE TABLE t (id int)");
            // the hub promotes only a standby it recorded eligible (b's peer-ok after a became synchronous): without
            // that record a correct witness refuses a forever, so the failover starts only once it is there
            PairNodes.awaitStandbyEligible(site, Duration.ofSeconds(30));

            bp.pair.powerOff(b); // PostgreSQL and supervisor gone at once: the hub grants a the next epoch
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(
                        () -> List.of(PairMachine.State.PRIMARY, PairMachine.State.ALONE)
                                .contains(a.ha().supervisor().state()) && !a.ha().database().inRecovery());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("a never became a writable primary: a " + a.ha().supervisor().state()
                        + ", the witness " + given().get("/api/v1/sites/" + site + "/witness").asString(), e);
            }
            // the hub's run-now, to the site's online primary, now a (its health reports the role)
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                var r = given().contentType("application/json").body("{\"type\":\"incr\"}")
                        .post("/api/v1/sites/" + site + "/backups"); // 409 until the hub sees exactly one primary
                return r.statusCode() == 202 && "a".equals(r.path("node"));
            });
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> given().get("/api/v1/sites/" + site
                    + "/backups").then().body("lastGood.node", equalTo("a")).body("lastGood.attrs.type",
                    equalTo("incr")).body("lastGood.attrs.backups", equalTo("2")));
            String archived = given().get("/api/v1/sites/" + site + "/backups").then().extract()
                    .path("lastGood.attrs.archiveMax");
            assertTrue(archived.startsWith("00000003"), "a's backup is on the timeline after two promotions: "
                    + archived);
        }
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
}
