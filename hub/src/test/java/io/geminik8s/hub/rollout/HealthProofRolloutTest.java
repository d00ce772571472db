package io.geminik8s.hub.rollout;

import static io.geminik8s.hub.rollout.RolloutTest.AWAIT;
import static io.geminik8s.hub.rollout.RolloutTest.create;
import static io.geminik8s.hub.rollout.RolloutTest.revision2;
import static io.geminik8s.hub.rollout.RolloutTest.rollout;
import static io.geminik8s.hub.rollout.RolloutTest.sites;
import static io.geminik8s.hub.rollout.RolloutTest.template;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health proof (docs/rollouts.md "What proves a site"), end to end: the hub's driver, real PostgreSQL and broker,
 * simulated sites reporting protocol 1.3 runtime (SimSite). Template revision 1 names K3s v1.32.1, revision 2
 * v1.33.0.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class HealthProofRolloutTest {

    private final SimFleet fleet = new SimFleet();

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    @AfterEach
    void stop() {
        fleet.close();
    }

    /** {@code n} sites of the template, each set up by {@code setup} before it connects, settled on revision 1. */
    private List<SimSite> settled(String template, int n, Consumer<SimSite> setup) {
        List<SimSite> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            SimSite s = new SimSite(template + "-s" + i, Map.of("site-kind", template));
            setup.accept(s);
            out.add(fleet.add(s));
        }
        for (SimSite s : out) {
            await().atMost(AWAIT).until(() -> s.applied() >= 1 && s.revision() == 1 && "healthy".equals(
                    given().get("/api/v1/sites/" + s.id).then().extract().path("status")));
        }
        return out;
    }

    /** Waits until the rollout stops deciding (paused or succeeded) and returns its phase. */
    private static String settle(long id) {
        await().atMost(AWAIT).until(() -> List.of("paused", "succeeded", "aborted")
                .contains(rollout(id).getString("phase")));
        return rollout(id).getString("phase");
    }

    private static String oneRollout(String t, String soak, String timeout) {
        return "{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"1\",\"waves\":[\"100%\"],"
                + "\"soak\":\"" + soak + "\",\"siteTimeout\":\"" + timeout + "\",\"failureThreshold\":0}}";
    }

    @Test
    void aSiteWhoseNodesReportNoK3sVersionIsNotProven() throws Exception {
        String t = template();
        SimSite old = settled(t, 1, s -> s.noRuntime = true).get(0); // agents older than protocol 1.3
        revision2(t);
        long id = create(oneRollout(t, "PT1S", "PT5S"));
        assertEquals("paused", settle(id), "a site that reports no K3s version proves nothing");
        await().atMost(AWAIT).until(() -> old.applied() >= 2);
        var failed = sites(id, "failed");
        assertEquals(1, failed.size(), failed.toString());
        assertTrue(String.valueOf(failed.get(0).get("reason")).contains("reports no K3s version"), failed.toString());
        assertNull(failed.get(0).get("healthySince"), "never healthy: " + failed);
    }

    @Test
    void aSiteWithOneNodeOnTheOldK3sIsNotProven() throws Exception {
        String t = template();
        SimSite s = settled(t, 1, x -> { }).get(0);
        s.stuckNode = "b"; // b applies revision 2 but keeps running K3s 1.32
        revision2(t);
        long id = create(oneRollout(t, "PT1S", "PT5S"));
        assertEquals("paused", settle(id));
        var failed = sites(id, "failed");
        assertEquals(1, failed.size(), failed.toString());
        assertEquals("node b runs K3s v1.32.1+k3s1, not v1.33.0+k3s1", failed.get(0).get("reason"));
        String table = gk8s("rollout", "sites", Long.toString(id), "--state", "failed");
        assertTrue(table.lines().findFirst().orElse("").contains("REASON")
                && table.contains("node b runs K3s v1.32.1+k3s1, not v1.33.0+k3s1"), table);
    }

    @Test
    void aNodeReportingItsUpgradeFailedFailsTheSiteAtOnceAndTheGatePauses() throws Exception {
        String t = template();
        settled(t, 3, s -> {
            s.failNode = "b";
            s.failRevision = 2;
            s.failError = "x".repeat(300) + " k3s not ready";
        });
        revision2(t);
        long started = System.nanoTime();
        long id = create(oneRollout(t, "PT1S", "PT10M")); // a timeout that would take ten minutes
        assertEquals("paused", settle(id));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs < 30_000, "failed within " + tookMs + " ms, not at the site timeout");
        var r = rollout(id);
        assertTrue(r.getString("reason").contains("1 of 1 sites failed in wave 0 (canary)"), r.getString("reason"));
        assertEquals(2, r.getInt("counts.pending"), "nothing beyond the canary was touched");
        String reason = (String) sites(id, "failed").get(0).get("reason");
        assertTrue(reason.startsWith("node b failed the upgrade to generation 2: xxx"), reason);
        assertTrue(reason.length() <= 256, "capped: " + reason.length());
        Map<String, Object> upgrade = given().get("/api/v1/sites/" + sites(id, "failed").get(0).get("site"))
                .then().extract().path("upgrade");
        assertEquals("failed", upgrade.get("step"));
        assertEquals("b", upgrade.get("node"));
        assertEquals(2, ((Number) upgrade.get("generation")).intValue());
    }

    @Test
    void aSiteIsProvenAfterAnUnbrokenSoakAndAFailedSampleStartsItOver() throws Exception {
        String t = template();
        SimSite s = settled(t, 1, x -> { }).get(0);
        revision2(t);
        long id = create(oneRollout(t, "PT4S", "PT2M"));
        await().atMost(AWAIT).until(() -> sites(id, "verifying").size() == 1
                && sites(id, "verifying").get(0).get("healthySince") != null);
        Instant first = Instant.parse((String) sites(id, "verifying").get(0).get("healthySince"));
        s.vipDown = true; // the VIP stops answering mid-soak
        await().atMost(AWAIT).until(() -> {
            var v = sites(id, "verifying");
            return v.size() == 1 && v.get(0).get("healthySince") == null
                    && "no node reports the VIP answering".equals(v.get(0).get("reason"));
        });
        s.vipDown = false;
        assertEquals("succeeded", settle(id));
        var done = sites(id, "succeeded").get(0);
        Instant second = Instant.parse((String) done.get("healthySince"));
        assertTrue(second.isAfter(first), "the soak started over: " + first + " then " + second);
        Instant finished = Instant.parse(rollout(id).getString("updatedAt"));
        assertTrue(Duration.between(second, finished).toMillis() >= 4_000,
                "proven " + Duration.between(second, finished).toMillis() + " ms after the soak started over");
        assertNull(done.get("reason"), "a proven site has no reason: " + done);
        Map<String, String> versions = given().get("/api/v1/sites/" + s.id).then().extract().path("nodes[1].versions");
        assertEquals("v1.33.0+k3s1", versions.get("k3s"), "what runs, from the runtime report");
    }

    @Test
    void theSiteApiShowsTheStepOfTheInSiteUpgrade() throws Exception {
        String t = template();
        SimSite s = settled(t, 1, x -> { }).get(0);
        awaitStep(s, "done", null);
        s.step("b", "installing");
        s.step("a", "waiting-for-standby");
        awaitStep(s, "upgrading standby", "b");
        s.step("b", null);
        awaitStep(s, "waiting for standby", "a");
        s.step("a", "switching-over");
        awaitStep(s, "switching over", "a");
        // the CLI: a column of `get sites`, and `describe site` (the site as the API shows it)
        String table = gk8s("get", "sites", "-l", "site-kind=" + t);
        assertTrue(table.lines().findFirst().orElse("").contains("UPGRADE"), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith(s.id) && l.contains("switching over")
                && l.matches(".*switching over +a .*")), table);
        String described = gk8s("describe", "site", s.id);
        assertTrue(described.contains("step: \"switching over\"") || described.contains("step: switching over"),
                described);
        s.step("a", "verifying");
        awaitStep(s, "upgrading former primary", "a");
        s.step("a", "failed");
        awaitStep(s, "failed", "a");
        s.step("a", null);
        awaitStep(s, "done", null);
        // the list shows it too
        Map<String, Object> listed = given().queryParam("q", s.id).get("/api/v1/sites").then().extract()
                .path("items[0].upgrade");
        assertEquals("done", listed.get("step"));
        assertEquals(1, ((Number) listed.get("generation")).intValue());
        assertTrue(!listed.containsKey("node") && !listed.containsKey("error"), "absent values left out: " + listed);
    }

    private String gk8s(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.geminik8s.cli.Gk8s.run(Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN",
                HubInfrastructure.VIEWER_TOKEN, "GK8S_CONFIG", "target/no-gk8s-config.yaml"),
                new java.io.PrintWriter(out), new java.io.PrintWriter(err), args);
        assertEquals(0, code, err.toString());
        return out.toString();
    }

    private static void awaitStep(SimSite s, String step, String node) {
        await().atMost(AWAIT).until(() -> {
            Map<String, Object> u = given().get("/api/v1/sites/" + s.id).then().extract().path("upgrade");
            return u != null && step.equals(u.get("step")) && java.util.Objects.equals(node, u.get("node"));
        });
    }
}
