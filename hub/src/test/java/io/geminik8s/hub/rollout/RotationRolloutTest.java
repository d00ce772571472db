package io.geminik8s.hub.rollout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.enroll.EnrollStep;
import io.geminik8s.agent.enroll.RenewCommand;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.enrollment.TrustInfrastructure;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's "a rotation rollout on simulated pairs, standby first, no node offline longer than its reconnect":
 * real agents enrolled over mTLS, their roles from their own PostgreSQL probes ({@link RotationPairs}), the hub's
 * rollout driver commanding them; and the hostile cases.
 */
@QuarkusTest
@WithTestResource(value = TrustInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RotationRolloutTest {

    /** Offline samples (100 ms apart) in a row any node may show: its reconnect is one normal DISCONNECT + CONNECT. */
    static final int MAX_OFFLINE_IN_A_ROW = 1;

    @Inject
    Pool pool;
    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;
    @ConfigProperty(name = "quarkus.datasource.username")
    String user;
    @ConfigProperty(name = "quarkus.datasource.password")
    String password;
    @TempDir
    Path dir;
    private RotationPairs pairs;

    @BeforeEach
    void pairs() {
        pairs = new RotationPairs(dir, pool, jdbcUrl, user, password);
    }

    @AfterEach
    void stop() {
        // leave no rotation running for the next test: one may run at a time
        List<Integer> active = RestAssured.given().auth().oauth2(HubInfrastructure.VIEWER_TOKEN)
                .get("/api/v1/rollouts?phase=paused").then().extract().jsonPath().getList("findAll { it.kind == "
                        + "'certificate-rotation' }.id", Integer.class);
        active.forEach(id -> RestAssured.given().auth().oauth2(HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/rollouts/" + id + "/abort"));
        pairs.close();
    }

    private static io.restassured.response.Response create(String token, String label, String timeout) {
        return RestAssured.given().auth().oauth2(token).contentType("application/json")
                .body(Map.of("kind", "certificate-rotation", "selector", Map.of("rotation", label),
                        "strategy", Map.of("canary", "1", "waves", List.of("100%"), "siteTimeout", timeout,
                                "onFailure", "pause")))
                .post("/api/v1/rollouts");
    }

    /** An API time (RFC 3339, UTC) in epoch ms. */
    private static long ms(Object rfc3339) {
        String t = (String) rfc3339;
        assertTrue(t.endsWith("Z"), "UTC: " + t);
        return java.time.Instant.parse(t).toEpochMilli();
    }

    private static JsonPath rollout(long id) {
        return RestAssured.given().auth().oauth2(HubInfrastructure.VIEWER_TOKEN).get("/api/v1/rollouts/" + id)
                .then().statusCode(200).extract().jsonPath();
    }

    private static List<Map<String, Object>> nodes(long id) {
        return RestAssured.given().auth().oauth2(HubInfrastructure.VIEWER_TOKEN)
                .get("/api/v1/rollouts/" + id + "/nodes").then().statusCode(200).extract().jsonPath().getList("$");
    }

    @Test
    void twoPairsRotateStandbyFirstAndNoNodeIsShownOfflineLongerThanItsReconnect() throws Exception {
        String label = UUID.randomUUID().toString().substring(0, 8);
        List<String> sites = List.of("rot1-" + label, "rot2-" + label);
        // site 1's standby is node a, site 2's is node b: the order is by role, not by name
        Map<String, String> standbyOf = Map.of(sites.get(0), "a", sites.get(1), "b");
        for (String site : sites) {
            String token = RotationPairs.claim(site);
            for (String node : List.of("a", "b")) {
                pairs.start(site, node, token, label, node.equals(standbyOf.get(site)), null);
            }
        }
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(200))
                .until(() -> RotationPairs.ready(sites, standbyOf));
        Map<String, String> before = new ConcurrentHashMap<>();
        for (String site : sites) {
            for (String node : List.of("a", "b")) {
                before.put(site + "/" + node, pairs.serial(site, node));
            }
        }

        assertEquals(403, create(HubInfrastructure.VIEWER_TOKEN, label, "PT60S").statusCode(), "a viewer");
        assertEquals(403, create(HubInfrastructure.OPERATOR_TOKEN, label, "PT60S").statusCode(),
                "an operator: rotation is trust, the admin's");

        // every 100 ms, each node's online flag as the API shows it: longest run of offline samples per node
        Map<String, AtomicInteger> run = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> longest = new ConcurrentHashMap<>();
        AtomicInteger polls = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        var sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
            try {
                for (String site : sites) {
                    List<Map<String, Object>> ns = RestAssured.given().get("/api/v1/sites/" + site).then()
                            .statusCode(200).extract().jsonPath().getList("nodes");
                    for (Map<String, Object> n : ns) {
                        String key = site + "/" + n.get("id");
                        AtomicInteger r = run.computeIfAbsent(key, k -> new AtomicInteger());
                        AtomicInteger max = longest.computeIfAbsent(key, k -> new AtomicInteger());
                        if (Boolean.TRUE.equals(n.get("online"))) {
                            r.set(0);
                        } else {
                            max.accumulateAndGet(r.incrementAndGet(), Math::max);
                        }
                    }
                }
                polls.incrementAndGet();
            } catch (RuntimeException | AssertionError e) {
                errors.incrementAndGet(); // a failed poll must not stop the sampler; counted and asserted below
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        long id;
        try {
            id = ((Number) create(HubInfrastructure.ADMIN_TOKEN, label, "PT60S").then().statusCode(201)
                    .extract().path("id")).longValue();
            assertEquals("certificate-rotation", rollout(id).getString("kind"));
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !"running".equals(rollout(id).getString("phase")));
        } finally {
            sampler.shutdownNow();
        }
        assertEquals("succeeded", rollout(id).getString("phase"), rollout(id).getString("reason"));
        assertTrue(polls.get() >= 5, "the sampler ran: " + polls.get());
        assertEquals(0, errors.get(), "failed polls");
        assertEquals(4, longest.size(), "every node sampled: " + longest);
        longest.forEach((node, n) -> assertTrue(n.get() <= MAX_OFFLINE_IN_A_ROW,
                node + " was shown offline " + n.get() + " samples in a row"));
        System.out.printf("rotation: %d polls at 100 ms; longest offline run per node %s%n", polls.get(), longest);

        List<Map<String, Object>> steps = nodes(id);
        assertEquals(4, steps.size(), steps.toString());
        for (String site : sites) {
            List<Map<String, Object>> mine = steps.stream().filter(s -> site.equals(s.get("site"))).toList();
            Map<String, Object> first = mine.get(0);
            Map<String, Object> second = mine.get(1);
            assertEquals(standbyOf.get(site), first.get("node"), site + ": the standby first " + mine);
            assertEquals("standby", first.get("role"));
            assertEquals("primary", second.get("role"));
            long standbyDone = ms(first.get("doneAt"));
            long primaryCommanded = ms(second.get("commandedAt"));
            assertTrue(standbyDone > 0 && primaryCommanded >= standbyDone,
                    site + ": the primary was commanded only once the standby was back renewed " + mine);
            System.out.printf("%s: standby commanded->back %d ms, primary %d ms%n", site,
                    standbyDone - ms(first.get("commandedAt")), ms(second.get("doneAt")) - primaryCommanded);
            for (Map<String, Object> s : mine) {
                String key = site + "/" + s.get("node");
                String now = pairs.serial(site, (String) s.get("node"));
                assertEquals(before.get(key), s.get("fromSerial"));
                assertNotEquals(before.get(key), now, key + " holds a new certificate");
                assertEquals(now, s.get("toSerial"), key);
                assertEquals("ok", s.get("outcome"), key + ": " + s.get("message"));
                assertTrue(String.valueOf(s.get("message")).endsWith("; K3s certificates rotated"), key + ": "
                        + s.get("message"));
                assertEquals("1", Files.readString(pairs.k3sDirs.get(key).resolve("cert-serial")).strip(),
                        key + ": K3s re-issued its certificates once");
            }
            // the hub's own certificate records: the standby's renewal was issued before the primary's
            var issued = pool.preparedQuery("SELECT node_id, renewed_from, enrolled_ms FROM enrollment"
                            + " WHERE site_id = $1 AND renewed_from IS NOT NULL ORDER BY enrolled_ms")
                    .execute(Tuple.of(site)).await().atMost(Duration.ofSeconds(10));
            List<String> order = new java.util.ArrayList<>();
            issued.forEach(r -> {
                order.add(r.getString("node_id"));
                assertEquals(before.get(site + "/" + r.getString("node_id")), r.getString("renewed_from"));
            });
            assertEquals(List.of(standbyOf.get(site), standbyOf.get(site).equals("a") ? "b" : "a"), order,
                    site + ": renewals in the order issued");
        }
        List<String> audit = RestAssured.given().auth().oauth2(HubInfrastructure.VIEWER_TOKEN)
                .get("/api/v1/rollouts/" + id + "/audit").then().extract().jsonPath().getList("action");
        assertEquals(4, audit.stream().filter("renew-command"::equals).count(), audit.toString());
        assertEquals(4, audit.stream().filter("renewed"::equals).count(), audit.toString());
        assertTrue(audit.contains("succeeded"), audit.toString());

        // the same command again (a redelivery, or a second rotation's stale one): ok, and no renewal
        String site = sites.get(0);
        String serial = pairs.serial(site, "a");
        var renewer = EnrollStep.renewer(null, pairs.envs.get(site + "/a")).orElseThrow();
        long t = System.currentTimeMillis();
        CommandResult again = new RenewCommand(renewer, () -> CompletableFuture.failedFuture(
                new AssertionError("must not reconnect")), Clock.systemUTC(), Duration.ofSeconds(5))
                .handle(new Command("1.0", RotationStore.commandId(id, site, "a"), site, "a",
                        RenewCommand.NAME, Map.of("from", before.get(site + "/a")), t, t + 60_000))
                .get(10, TimeUnit.SECONDS);
        assertEquals(CommandResult.Outcome.OK, again.outcome(), again.message());
        assertTrue(again.message().startsWith("already renewed"), again.message());
        assertEquals(serial, pairs.serial(site, "a"));
    }

    @Test
    void aNodeThatCannotRenewFailsItsSiteAndPausesTheRolloutWithThePrimaryUntouched() throws Exception {
        String label = UUID.randomUUID().toString().substring(0, 8);
        String site = "rotx-" + label;
        String token = RotationPairs.claim(site);
        int closed = io.geminik8s.embedded.FreePort.find(); // nothing listens: the renewal is refused
        pairs.start(site, "a", token, label, false, null);
        pairs.start(site, "b", token, label, true, "http://localhost:" + closed);
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(200))
                .until(() -> RotationPairs.ready(List.of(site), Map.of(site, "b")));
        String primaryBefore = pairs.serial(site, "a");
        String standbyBefore = pairs.serial(site, "b");

        // a site timeout far beyond the wait below: the node's answer, not the timeout, fails the site
        long id = ((Number) create(HubInfrastructure.ADMIN_TOKEN, label, "PT10M").then().statusCode(201)
                .extract().path("id")).longValue();
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                .until(() -> "paused".equals(rollout(id).getString("phase")));
        JsonPath r = rollout(id);
        assertTrue(r.getString("reason").contains("1 of 1 sites failed in wave 0"), r.getString("reason"));
        assertEquals(1, r.getInt("counts.failed"), r.prettify());
        assertEquals(0, r.getInt("counts.timed_out"), r.prettify());
        List<Map<String, Object>> steps = nodes(id);
        assertEquals("b", steps.get(0).get("node"));
        assertEquals("failed", steps.get(0).get("outcome"), steps.toString());
        assertEquals("renewal failed: ConnectException", steps.get(0).get("message"), steps.toString());
        assertFalse(steps.get(1).containsKey("commandedAt"), "the primary never commanded: " + steps);
        assertEquals(primaryBefore, pairs.serial(site, "a"));
        assertEquals(standbyBefore, pairs.serial(site, "b"));
        List<String> audit = RestAssured.given().auth().oauth2(HubInfrastructure.VIEWER_TOKEN)
                .get("/api/v1/rollouts/" + id + "/audit").then().extract().jsonPath().getList("action");
        assertTrue(audit.contains("paused"), audit.toString());
        // one rotation at a time: a second is refused while this one is paused
        assertEquals(409, create(HubInfrastructure.ADMIN_TOKEN, label, "PT10M").statusCode());
    }
}
