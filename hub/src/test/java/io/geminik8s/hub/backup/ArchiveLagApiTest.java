package io.geminik8s.hub.backup;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Severity;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * WAL archive lag at the hub (docs/backup.md): the writing node's newest {@code backup.archive} report in the site's
 * backups view and the CLI, its lag growing with the report's age while a segment waits, the fleet gauges; the
 * newest restore test in the view and the failed-restore-test gauge.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ArchiveLagApiTest {

    @Inject
    BackupGauges gauges;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    private static Event archive(String site, long seq, long ts, long lag, Severity severity) {
        return new Event("1.0", site, "a", seq, ts, "backup.archive", severity, "WAL archiving", Map.of("lagSeconds",
                Long.toString(lag), "ready", lag > 0 ? "3" : "0", "failedCount", "7", "lastArchivedWal",
                "000000010000000000000004"));
    }

    private static Event test(String site, long seq, long ts, String type) {
        return new Event("1.0", site, "b", seq, ts, type, Severity.INFO, "restore test", Map.of("label",
                "20261130-010000F"));
    }

    private long metric(String name) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> (long) Double
                .parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
    }

    @Test
    void theLagIsTheReportedAgePlusTheReportsOwnAndIsCounted() {
        IngestProbe.awaitIngestReady();
        String lagging = "al-" + UUID.randomUUID().toString().substring(0, 8);
        String fine = "al-ok-" + UUID.randomUUID().toString().substring(0, 8);
        long now = System.currentTimeMillis();
        try (MqttPublisher mqtt = new MqttPublisher()) {
            mqtt.publish(archive(lagging, 1, now - 600_000, 0, Severity.INFO));
            mqtt.publish(archive(lagging, 2, now - 120_000, 400, Severity.WARNING)); // newest: waiting 400 s then
            mqtt.publish(archive(fine, 1, now - 600_000, 900, Severity.WARNING));
            mqtt.publish(archive(fine, 2, now - 60_000, 0, Severity.INFO)); // newest: archived since
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
                given().get("/api/v1/sites/" + lagging + "/backups").then().statusCode(200)
                        .body("archive.lagging", equalTo(true)).body("archive.report.attrs.failedCount", equalTo("7"));
                given().get("/api/v1/sites/" + fine + "/backups").then().statusCode(200)
                        .body("archive.lagSeconds", equalTo(0)).body("archive.lagging", equalTo(false));
            });
        }
        int lag = given().get("/api/v1/sites/" + lagging + "/backups").then().extract().path("archive.lagSeconds");
        assertTrue(lag >= 520 && lag < 600, "400 s reported 120 s ago: " + lag);
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        assertTrue(metric("gk8s_backups_archive_lagging") >= 1, "the lagging site is counted");
        assertTrue(metric("gk8s_backups_archive_lag_max_seconds") >= 520, "the longest wait");

        // a site whose newest restore test failed is counted; one whose failure was followed by a pass is not
        String broken = "rt-" + UUID.randomUUID().toString().substring(0, 8);
        String mended = "rt-ok-" + UUID.randomUUID().toString().substring(0, 8);
        try (MqttPublisher mqtt = new MqttPublisher()) {
            mqtt.publish(test(broken, 1, now - 60_000, "backup.restore-test-failed"));
            mqtt.publish(test(mended, 1, now - 120_000, "backup.restore-test-failed"));
            mqtt.publish(test(mended, 2, now - 60_000, "backup.restore-tested"));
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
                given().get("/api/v1/sites/" + broken + "/backups").then().statusCode(200)
                        .body("lastRestoreTest.type", equalTo("backup.restore-test-failed"));
                given().get("/api/v1/sites/" + mended + "/backups").then().statusCode(200)
                        .body("lastRestoreTest.type", equalTo("backup.restore-tested"));
            });
        }
        long before = metric("gk8s_backups_restore_test_failed");
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        assertTrue(metric("gk8s_backups_restore_test_failed") >= 1, "the failed one counted (was " + before + ")");

        var out = new java.io.StringWriter();
        int code = io.geminik8s.cli.Gk8s.run(Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN",
                HubInfrastructure.VIEWER_TOKEN, "GK8S_CONFIG", "target/no-gk8s-config.yaml"),
                new java.io.PrintWriter(out), new java.io.PrintWriter(new java.io.StringWriter()),
                "backup", "list", "--site", lagging);
        assertTrue(code == 0 && out.toString().contains("ARCHIVE LAG S") && out.toString().contains(" 7"),
                out.toString());
    }
}
