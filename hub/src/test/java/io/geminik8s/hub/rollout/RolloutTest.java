package io.geminik8s.hub.rollout;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
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
 * Rollouts end to end: the hub's driver against simulated sites that speak the real protocol through the embedded
 * broker and real PostgreSQL. Each test has its own template (its own selector), so they do not meet.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RolloutTest {

    static final Duration AWAIT = Duration.ofSeconds(40);
    private final List<SimSite> sims = new ArrayList<>();

    @Inject
    RolloutDriver driver;

    @AfterEach
    void stopSims() {
        sims.forEach(SimSite::close);
    }

    /** A template of its own at revision 1 (K3s 1.32); returns its name. */
    static String template() throws Exception {
        String name = "ro-" + UUID.randomUUID().toString().substring(0, 8);
        add(yaml(name));
        return name;
    }

    /** Revision 2 (K3s 1.33), added once the sites run revision 1 (new sites are bound to the latest). */
    static void revision2(String name) throws Exception {
        add(yaml(name).replace("v1.32.1+k3s1", "v1.33.0+k3s1"));
    }

    private static String yaml(String name) throws Exception {
        return Files.readString(Path.of("../fleet-templates/lab.yaml"))
                .replace("name: lab", "name: " + name).replace("site-kind: lab", "site-kind: " + name);
    }

    private static void add(String yaml) {
        int code = given().contentType("application/yaml").body(yaml.getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/templates").then().extract().statusCode();
        assertEquals(201, code, "template added");
    }

    SimSite site(String template, int i, Map<String, String> extra) {
        var labels = new java.util.HashMap<>(Map.of("site-kind", template));
        labels.putAll(extra);
        SimSite s = new SimSite(template + "-s" + i, labels);
        sims.add(s);
        return s;
    }

    /** Starts n sites and waits until each runs revision 1 of the template and is healthy. */
    List<SimSite> fleet(String template, int n) {
        List<SimSite> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(site(template, i, Map.of()).online());
        }
        out.forEach(this::awaitSettled);
        return out;
    }

    void awaitSettled(SimSite s) {
        await().atMost(AWAIT).until(() -> s.applied() >= 1 && s.revision() == 1 && "healthy".equals(
                given().get("/api/v1/sites/" + s.id).then().extract().path("status")));
    }

    static long create(String body) {
        var r = given().contentType("application/json").body(body).post("/api/v1/rollouts").then().extract();
        assertEquals(201, r.statusCode(), r.asString());
        return ((Number) r.path("id")).longValue();
    }

    static JsonPath rollout(long id) {
        return given().get("/api/v1/rollouts/" + id).then().statusCode(200).extract().jsonPath();
    }

    static void awaitPhase(long id, String phase) {
        await().atMost(AWAIT).until(() -> phase.equals(rollout(id).getString("phase")));
    }

    static List<Map<String, Object>> sites(long id, String state) {
        return given().queryParam("state", state).get("/api/v1/rollouts/" + id + "/sites").then().statusCode(200)
                .extract().jsonPath().getList("$");
    }

    @Test
    void canaryThenWavesSucceedAndEverySiteAppliesTheRevisionOnce() throws Exception {
        String t = template();
        List<SimSite> fleet = fleet(t, 8);
        revision2(t);
        long id = create("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"1\","
                + "\"waves\":[\"50%\",\"100%\"],\"soak\":\"PT1S\",\"maxInFlight\":3}}");
        assertEquals(3, rollout(id).getInt("waves"));
        awaitPhase(id, "succeeded");
        JsonPath r = rollout(id);
        assertEquals(8, r.getInt("counts.succeeded"));
        assertEquals(1, r.getInt("waveCounts[0].succeeded"), "the canary alone in wave 0");
        for (SimSite s : fleet) {
            assertEquals(2, s.revision());
            assertEquals(2, s.appliedLog.size(), s.id + " applied " + s.appliedLog);
        }
        // the canary proved itself for the soak before any other site was touched
        var all = given().get("/api/v1/rollouts/" + id + "/sites").then().extract().jsonPath();
        java.time.Instant canaryHealthy = java.time.Instant.parse(
                all.getList("findAll { it.wave == 0 }.healthySince", String.class).get(0));
        for (String s : all.getList("findAll { it.wave > 0 }.startedAt", String.class)) {
            java.time.Instant started = java.time.Instant.parse(s);
            assertTrue(!started.isBefore(canaryHealthy.plusSeconds(1)),
                    "wave 1 started " + java.time.Duration.between(canaryHealthy, started).toMillis() + " ms after");
        }
        List<String> actions = given().get("/api/v1/rollouts/" + id + "/audit").then().extract().path("action");
        assertEquals(List.of("create", "succeeded"), actions);
    }

    @Test
    void aFailingCanaryPausesThenAnAbortRollsItBack() throws Exception {
        String t = template();
        List<SimSite> fleet = fleet(t, 4);
        revision2(t);
        fleet.forEach(s -> s.brokenRevision = 2);
        long id = create("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"1\","
                + "\"waves\":[\"100%\"],\"soak\":\"PT1S\",\"siteTimeout\":\"PT3S\",\"failureThreshold\":0}}");
        awaitPhase(id, "paused");
        JsonPath r = rollout(id);
        assertTrue(r.getString("reason").contains("canary"), r.getString("reason"));
        assertEquals(1, r.getInt("counts.failed"));
        assertEquals(3, r.getInt("counts.pending"), "nothing beyond the canary was touched");
        String canary = (String) sites(id, "failed").get(0).get("site");
        var pauseAgain = given().post("/api/v1/rollouts/" + id + "/pause").then().extract();
        assertEquals(409, pauseAgain.statusCode(), pauseAgain.asString());
        assertTrue(pauseAgain.asString().contains("already paused"), pauseAgain.asString());

        var abort = given().queryParam("reason", "bad build").post("/api/v1/rollouts/" + id + "/abort").then().extract();
        assertEquals(202, abort.statusCode(), abort.asString());
        awaitPhase(id, "aborted");
        assertEquals(1, rollout(id).getInt("counts.rolled_back"));
        SimSite c = fleet.stream().filter(s -> s.id.equals(canary)).findFirst().orElseThrow();
        await().atMost(AWAIT).until(() -> c.revision() == 1);
        assertEquals(3, c.appliedLog.size(), "revision 1, 2, then 1 again: " + c.appliedLog);
        fleet.stream().filter(s -> s != c).forEach(s -> assertEquals(1, s.appliedLog.size()));
        List<String> actions = given().get("/api/v1/rollouts/" + id + "/audit").then().extract().path("action");
        assertEquals(List.of("create", "paused", "abort", "aborted"), actions);
        assertEquals(409, given().post("/api/v1/rollouts/" + id + "/resume").then().extract().statusCode());
    }

    @Test
    void anOfflineSiteIsDeferredThenFinishesAndASilentSiteTimesOut() throws Exception {
        String t = template();
        List<SimSite> fleet = fleet(t, 4);
        revision2(t);
        SimSite away = fleet.get(0);
        SimSite silent = fleet.get(1);
        away.offline();
        await().atMost(AWAIT).until(() -> "offline".equals(
                given().get("/api/v1/sites/" + away.id).then().extract().path("status")));
        silent.silent = true;
        long id = create("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"100%\","
                + "\"soak\":\"PT1S\",\"siteTimeout\":\"PT4S\",\"failureThreshold\":0.5}}");
        await().atMost(AWAIT).until(() -> rollout(id).getInt("counts.succeeded") == 2
                && rollout(id).getInt("counts.timed_out") == 1);
        assertEquals(List.of(away.id), sites(id, "deferred").stream().map(m -> m.get("site")).toList());
        assertEquals("running", rollout(id).getString("phase"), "a deferred site keeps the rollout open");

        SimSite back = new SimSite(away.id, away.labels);
        sims.add(back);
        back.online();
        awaitPhase(id, "succeeded");
        JsonPath r = rollout(id);
        assertEquals(3, r.getInt("counts.succeeded"));
        assertEquals(1, r.getInt("counts.timed_out"), "started, never reported back: failed, not deferred");
        assertEquals(2, back.revision());
    }

    @Test
    void windowsAreKeptInEachSitesTimeZoneAndOutsideOnesArePrestaged() throws Exception {
        String t = template();
        // a window from one hour before now until one hour after, in UTC; Pacific/Kiritimati is 14 hours ahead,
        // so there the same window is far away
        int hour = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).minusHours(1).getHour();
        SimSite utc = site(t, 0, Map.of("tz", "UTC")).online();
        SimSite ahead = site(t, 1, Map.of("tz", "Pacific/Kiritimati")).online();
        awaitSettled(utc);
        awaitSettled(ahead);
        revision2(t);
        long id = create("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"100%\","
                + "\"soak\":\"PT1S\",\"siteTimeout\":\"PT24H\"},\"window\":{\"cron\":\"0 " + hour + " * * *\","
                + "\"duration\":\"PT2H\"},\"prestage\":\"PT24H\"}");
        await().atMost(AWAIT).until(() -> rollout(id).getInt("counts.succeeded") == 1);
        assertEquals(2, utc.revision());
        // the other site got revision 2 ahead of its window, to activate when the window opens there
        await().atMost(AWAIT).until(() -> ahead.received.stream().anyMatch(d -> d.activateNotBefore() != null));
        var staged = ahead.received.stream().filter(d -> d.activateNotBefore() != null).findFirst().orElseThrow();
        var opens = java.time.Instant.ofEpochMilli(staged.activateNotBefore())
                .atZone(java.time.ZoneId.of("Pacific/Kiritimati"));
        assertEquals(hour, opens.getHour(), "activates at the window's local hour: " + opens);
        assertTrue(staged.activateNotBefore() > System.currentTimeMillis());
        assertEquals(2, staged.spec().path("revision").asInt());
        assertEquals(1, ahead.revision(), "not applied before its window");
        assertEquals(1, sites(id, "in_progress").size());
    }

    @Test
    void aRestartMidWaveResumesWithNoStepLostOrDoubled() throws Exception {
        String t = template();
        List<SimSite> fleet = fleet(t, 6);
        revision2(t);
        long id = create("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"1\","
                + "\"waves\":[\"100%\"],\"soak\":\"PT2S\",\"maxInFlight\":2}}");
        await().atMost(AWAIT).until(() -> rollout(id).getInt("counts.succeeded") >= 2);
        for (int i = 0; i < 5; i++) {
            driver.forget(); // what a restarted hub (or another replica) has: only the database
            driver.tick().await().atMost(Duration.ofSeconds(10));
        }
        awaitPhase(id, "succeeded");
        assertEquals(6, rollout(id).getInt("counts.succeeded"));
        for (SimSite s : fleet) {
            assertEquals(2, s.appliedLog.size(), s.id + " applied " + s.appliedLog);
            Number gen = given().get("/api/v1/sites/" + s.id + "/desired").then().extract().path("generation");
            assertEquals(2, gen.intValue(), "one new generation per site");
        }
    }

    @Test
    void aSiteEnrolledDuringTheRolloutJoinsIt() throws Exception {
        String t = template();
        fleet(t, 2);
        revision2(t);
        long id = create("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"1\","
                + "\"waves\":[\"100%\"],\"soak\":\"PT3S\",\"pauseAfterEachWave\":true}}");
        await().atMost(AWAIT).until(() -> "paused".equals(rollout(id).getString("phase")));
        SimSite late = site(t, 9, Map.of()).online();
        await().atMost(AWAIT).until(() -> sites(id, null).size() == 3);
        assertEquals(202, given().post("/api/v1/rollouts/" + id + "/approve").then().extract().statusCode());
        awaitPhase(id, "succeeded");
        assertEquals(3, rollout(id).getInt("counts.succeeded"));
        await().atMost(AWAIT).until(() -> late.revision() == 2);
    }

    @Test
    void badRequestsAreRefusedWithTheReason() throws Exception {
        String t = template();
        fleet(t, 1);
        revision2(t);
        record Case(String body, int status, String says) {
        }
        for (Case c : List.of(
                new Case("{\"toRevision\":2}", 400, "missing template"),
                new Case("{\"template\":\"" + t + "\",\"toRevision\":9}", 422, "no revision 9"),
                new Case("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"waves\":[\"50%\",\"20%\"]}}",
                        400, "shares must grow"),
                new Case("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"canary\":\"0%\"}}", 400,
                        "strategy.canary"),
                new Case("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"soak\":\"10m\"}}", 400,
                        "ISO-8601"),
                new Case("{\"template\":\"" + t + "\",\"toRevision\":2,\"window\":{\"cron\":\"every night\","
                        + "\"duration\":\"PT1H\"}}", 400, "window.cron"),
                new Case("{\"template\":\"" + t + "\",\"toRevision\":2,\"prestage\":\"PT1H\"}", 400,
                        "prestage needs a window"),
                new Case("{\"template\":\"" + t + "\",\"toRevision\":2,\"selector\":{\"region\":\"mars\"}}", 422,
                        "no site bound"))) {
            var r = given().contentType("application/json").body(c.body()).post("/api/v1/rollouts").then().extract();
            assertEquals(c.status(), r.statusCode(), c.body() + " -> " + r.asString());
            assertTrue(r.asString().contains(c.says()), r.asString());
        }
        long id = create("{\"template\":\"" + t + "\",\"toRevision\":2,\"strategy\":{\"soak\":\"PT30S\"}}");
        var again = given().contentType("application/json").body("{\"template\":\"" + t + "\",\"toRevision\":2}")
                .post("/api/v1/rollouts").then().extract();
        assertEquals(409, again.statusCode(), again.asString());
        assertEquals(404, given().post("/api/v1/rollouts/" + id + "/explode").then().extract().statusCode());
        assertEquals(404, given().get("/api/v1/rollouts/999999").then().extract().statusCode());
        assertEquals(400, given().queryParam("state", "sleeping").get("/api/v1/rollouts/" + id + "/sites").then()
                .extract().statusCode());
        int viewer = given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN)
                .post("/api/v1/rollouts/" + id + "/pause").then().extract().statusCode();
        assertEquals(403, viewer, "a viewer reads, an operator changes");
        assertNotNull(rollout(id).getString("spec.strategy.soak"));
        // verbs that would do nothing are refused, saying why, and not audited
        var approve = given().post("/api/v1/rollouts/" + id + "/approve").then().extract();
        assertEquals(409, approve.statusCode(), approve.asString());
        assertTrue(approve.asString().contains("approv"), approve.asString()); // nothing waits for an approval
        var resume = given().post("/api/v1/rollouts/" + id + "/resume").then().extract();
        assertEquals(409, resume.statusCode(), resume.asString());
        assertTrue(resume.asString().contains("running: nothing to resume"), resume.asString());
        assertEquals(List.of("create"), given().get("/api/v1/rollouts/" + id + "/audit").then().extract()
                .path("action"));
        // judged with the commands accepted before: a pause, then a second pause in the same tick is refused
        assertEquals(202, given().post("/api/v1/rollouts/" + id + "/pause").then().extract().statusCode());
        var again2 = given().post("/api/v1/rollouts/" + id + "/pause").then().extract();
        assertEquals(409, again2.statusCode(), again2.asString());
        given().post("/api/v1/rollouts/" + id + "/abort").then().statusCode(202);
        awaitPhase(id, "aborted");
    }
}
