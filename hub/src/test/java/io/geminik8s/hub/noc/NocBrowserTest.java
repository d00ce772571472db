package io.geminik8s.hub.noc;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Severity;
import io.geminik8s.hub.rollout.SimSite;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The NOC view in a real browser (Chromium through playwright-core) against the real hub, with simulated sites
 * speaking MQTT to the test broker: load, filter, drill in, a live update, pausing a rollout after confirming, a
 * viewer without action buttons whose forged action is refused. The browser steps are in src/test/noc/browser.mjs.
 * Screenshots go to target/noc-screenshots, or to -Dnoc.test.screenshots=../docs/noc to refresh docs/noc.md's.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class NocBrowserTest {

    static final Duration AWAIT = Duration.ofSeconds(40);
    private final io.geminik8s.hub.rollout.SimFleet sims = new io.geminik8s.hub.rollout.SimFleet();

    @TestHTTPResource("/noc/")
    URL noc;

    @AfterEach
    void stopSims() {
        sims.close();
    }

    private SimSite sim(String id, Map<String, String> labels, boolean split) {
        return sims.sim(id, labels, split);
    }

    private static String status(String site) {
        return given().get("/api/v1/sites/" + site).then().extract().path("status");
    }

    @Test
    void anOperatorWatchesFiltersDrillsInAndPausesAViewerOnlyWatches() throws Exception {
        Browser.require();
        IngestProbe.awaitIngestReady();
        String prefix = "noc" + UUID.randomUUID().toString().substring(0, 6);
        // a template with two revisions and two sites on revision 1; then the sites stop applying, so the
        // rollout's canary stays in progress until the operator acts
        String yaml = Files.readString(Path.of("../fleet-templates/lab.yaml"))
                .replace("name: lab", "name: " + prefix).replace("site-kind: lab", "site-kind: " + prefix);
        addTemplate(yaml);
        List<SimSite> fleet = List.of(sim(prefix + "-s0", Map.of("site-kind", prefix), false),
                sim(prefix + "-s1", Map.of("site-kind", prefix), false));
        SimSite live = sim(prefix + "-live", Map.of("region", "eu-west", "lat", "52.52", "lon", "13.40"), false);
        SimSite split = sim(prefix + "-split", Map.of("region", "eu-north", "lat", "59.91", "lon", "10.75"), true);
        for (SimSite s : fleet) {
            await().atMost(AWAIT).until(() -> s.applied() >= 1 && s.revision() == 1 && "healthy".equals(status(s.id)));
            s.silent = true;
        }
        await().atMost(AWAIT).until(() -> "healthy".equals(status(live.id)) && "split".equals(status(split.id)));
        live.step("b", "installing"); // the in-site upgrade's step, shown on the site's page
        live.step("a", "waiting-for-standby");
        await().atMost(AWAIT).until(() -> "upgrading standby".equals(given().get("/api/v1/sites/" + live.id).then()
                .extract().path("upgrade.step")));
        // the live site's history, as its agents journal it: a failover on node a
        try (MqttPublisher mqtt = new MqttPublisher()) {
            long now = System.currentTimeMillis();
            mqtt.publish(new Event("1.0", live.id, "a", 1L, now - 60_000, "pg.role-changed", Severity.WARNING,
                    "promoted: the primary's lease expired", Map.of("from", "standby", "to", "primary")));
            mqtt.publish(new Event("1.0", live.id, "b", 1L, now - 50_000, "pg.rewind-done", Severity.INFO,
                    "rejoined as standby", Map.of()));
            // and a witness decision: node a asks for the site's first epoch and is granted it
            mqtt.publish(new io.geminik8s.protocol.WitnessRequest("1.0", "noc-w1", live.id, "a", now,
                    io.geminik8s.protocol.WitnessRequest.Op.PROMOTE, 1L, null, 0L));
        }
        String[] seen = {""};
        try {
            await().atMost(AWAIT).until(() -> (seen[0] = given().get("/api/v1/sites/" + live.id + "/witness").then()
                    .extract().asString()).contains("\"holder\":\"a\""));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no witness grant for " + live.id + ": " + seen[0], e);
        }
        await().atMost(AWAIT).until(() -> given().get("/api/v1/sites/" + live.id + "/events").then().extract()
                .<List<String>>path("items.type").containsAll(List.of("pg.role-changed", "pg.rewind-done")));
        addTemplate(yaml.replace("v1.32.1+k3s1", "v1.33.0+k3s1"));
        var created = given().contentType("application/json").body("{\"template\":\"" + prefix + "\",\"toRevision\":2,"
                + "\"strategy\":{\"canary\":\"1\",\"waves\":[\"100%\"],\"siteTimeout\":\"PT10M\"}}")
                .post("/api/v1/rollouts").then().extract();
        assertEquals(201, created.statusCode(), created.asString());
        long rollout = ((Number) created.path("id")).longValue();

        Path shots = Path.of(System.getProperty("noc.test.screenshots", "target/noc-screenshots")).toAbsolutePath();
        int exit = Browser.script(Path.of("src/test/noc/browser.mjs"), Map.of("NOC_URL", noc.toString(),
                "OPERATOR_TOKEN", HubInfrastructure.OPERATOR_TOKEN, "VIEWER_TOKEN", HubInfrastructure.VIEWER_TOKEN,
                "LIVE_SITE", live.id, "SPLIT_SITE", split.id, "PREFIX", prefix, "ROLLOUT_ID", Long.toString(rollout),
                "SHOTS", shots.toString()), 240, what -> {
                    if (what.equals("node-offline")) {
                        live.nodeOffline("b");
                    }
                });
        assertEquals(0, exit, "browser steps (output above, screenshots in " + shots + ")");

        // what the browser did, seen through the API: paused by the operator, nothing by the viewer
        assertEquals("paused", given().get("/api/v1/rollouts/" + rollout).then().extract().path("phase"));
        List<Map<String, Object>> audit = given().get("/api/v1/rollouts/" + rollout + "/audit").then().statusCode(200)
                .extract().jsonPath().getList("$");
        assertTrue(audit.stream().anyMatch(a -> "pause".equals(a.get("action")) && "tester".equals(a.get("actor"))),
                "the pause is audited with its caller: " + audit);
        assertTrue(audit.stream().noneMatch(a -> "noc".equals(a.get("actor"))), "nothing by the viewer: " + audit);
        assertEquals("degraded", status(live.id));
    }

    private static void addTemplate(String yaml) {
        int code = given().contentType("application/yaml").body(yaml.getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/templates").then().extract().statusCode();
        assertEquals(201, code, "template added");
    }
}
