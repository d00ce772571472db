package io.geminik8s.hub.noc;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.rollout.SimSite;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The NOC summary, alerts and caller, and the live stream: every change arrives, at most one update a second. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class NocApiTest {

    static final Duration AWAIT = Duration.ofSeconds(30);
    private final io.geminik8s.hub.rollout.SimFleet sims = new io.geminik8s.hub.rollout.SimFleet();
    private final ObjectMapper json = new ObjectMapper();

    @TestHTTPResource("/api/v1/noc/stream")
    URL stream;

    @AfterEach
    void stop() {
        sims.close();
    }

    private SimSite sim(String id, Map<String, String> labels, boolean split) {
        return sims.sim(id, labels, split);
    }

    private static String status(String site) {
        return given().get("/api/v1/sites/" + site).then().extract().path("status");
    }

    /** Fleet updates as they arrive, with the time each arrived (ms). */
    record Update(long at, JsonNode body) {
    }

    private CompletableFuture<?> follow(String token, List<Update> into) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(stream.toString())).header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + token).build();
        return HttpClient.newHttpClient().sendAsync(req, HttpResponse.BodyHandlers.ofLines()).thenAccept(res -> {
            assertEquals(200, res.statusCode());
            res.body().filter(l -> l.startsWith("data:")).forEach(l -> {
                try {
                    into.add(new Update(System.currentTimeMillis(), json.readTree(l.substring(5).strip())));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        });
    }

    @Test
    void summaryAlertsAndWhoIsLooking() {
        IngestProbe.awaitIngestReady();
        SimSite b = sim("na" + UUID.randomUUID().toString().substring(0, 6) + "-split",
                Map.of("lat", "-33.87", "lon", "151.21"), true);
        SimSite lost = sim("na" + UUID.randomUUID().toString().substring(0, 6) + "-nowhere",
                Map.of("lat", "north", "lon", "400"), false);
        await().atMost(AWAIT).until(() -> "split".equals(status(b.id)));
        given().get("/api/v1/noc/summary").then().statusCode(200).body("keySet()",
                equalTo(Set.of("healthy", "degraded", "split", "offline", "pending", "total")));
        given().get("/api/v1/noc/alerts").then().statusCode(200).body("split.items.title", hasItem(b.id))
                .body("split.items.link", hasItem("#/sites/" + b.id))
                .body("keySet()", equalTo(Set.of("split", "offline", "certificates", "pausedRollouts")));
        var map = given().get("/api/v1/noc/map").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> sydney = map.<Map<String, Object>>getList("cells").stream()
                .filter(c -> ((Number) c.get("lat")).intValue() == -34 && ((Number) c.get("lon")).intValue() == 151)
                .toList();
        assertEquals(1, sydney.size(), "one cell at -34, 151: " + map.prettify());
        assertEquals("split", sydney.get(0).get("worst"));
        assertTrue(map.getLong("unlocated") >= 1, "lat 'north', lon 400: no place");
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).get("/api/v1/noc/map").then()
                .statusCode(200);
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).get("/api/v1/noc/me").then()
                .body("role", equalTo("viewer")).body("canAct", equalTo(false)).body("name", equalTo("noc"));
        given().get("/api/v1/noc/me").then().body("role", equalTo("operator")).body("canAct", equalTo(true));
        given().header("Authorization", "Bearer nope").get("/api/v1/noc/stream").then().statusCode(401);
        given().header("Authorization", "Bearer nope").get("/api/v1/noc/alerts").then().statusCode(401);
    }

    @Test
    void theStreamSendsChangesMergedAtMostOnceASecond() {
        IngestProbe.awaitIngestReady();
        String p = "ns" + UUID.randomUUID().toString().substring(0, 6);
        List<SimSite> sites = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sites.add(sim(p + "-" + i, Map.of(), false));
        }
        sites.forEach(s -> await().atMost(AWAIT).until(() -> "healthy".equals(status(s.id))));
        List<Update> updates = new CopyOnWriteArrayList<>();
        CompletableFuture<?> open = follow(HubInfrastructure.VIEWER_TOKEN, updates);
        await().atMost(AWAIT).until(() -> !updates.isEmpty());
        assertEquals("fleet", updates.get(0).body().path("type").asText());
        assertTrue(updates.get(0).body().path("counts").has("healthy"), "the first update carries the counts");

        // four sites change within ~300 ms: the viewer learns of every one, in updates at least a second apart
        for (SimSite s : sites) {
            s.nodeOffline("b");
        }
        await().atMost(AWAIT).until(() -> {
            Set<String> seen = new HashSet<>();
            updates.forEach(u -> u.body().path("changed").forEach(id -> seen.add(id.asText())));
            return sites.stream().allMatch(s -> seen.contains(s.id));
        });
        sites.forEach(s -> assertEquals("degraded", status(s.id)));
        List<Update> fleet = updates.stream().filter(u -> u.body().path("type").asText().equals("fleet")).toList();
        for (int i = 1; i < fleet.size(); i++) { // by the hub's stamps: arrival times add this machine's scheduling
            long gap = java.time.Duration.between(java.time.OffsetDateTime.parse(fleet.get(i - 1).body().path("at")
                    .asText()), java.time.OffsetDateTime.parse(fleet.get(i).body().path("at").asText())).toMillis();
            assertTrue(gap >= 995, "updates " + (i - 1) + " and " + i + " were made " + gap + " ms apart: " + fleet);
        }
        System.out.println("stream: " + fleet.size() + " updates for 4 site changes");
        open.cancel(true);
    }
}
