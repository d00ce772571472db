package io.geminik8s.hub.desired;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.DesiredState;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Topics;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** Sites bound to templates by labels; desired state published retained with growing generations. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class DesiredStateTest {

    private static String site(MqttPublisher mqtt, Map<String, String> labels) {
        String site = "bind-" + UUID.randomUUID().toString().substring(0, 8);
        long now = System.currentTimeMillis();
        mqtt.publish(new Birth("1.0", site, "a", now * 1000, now, "t", null, Role.UNKNOWN, Map.of(), List.of(),
                labels, 0L));
        return site;
    }

    private static DesiredState latest(ConcurrentLinkedQueue<Message> q, long generation) {
        return q.stream().map(m -> (DesiredState) m).filter(d -> d.generation() == generation).findFirst().orElse(null);
    }

    @Test
    void aStoreIsBoundByItsLabelsAndGetsItsDesiredStateThenOverridesMakeTheNextGeneration() {
        try (MqttPublisher mqtt = new MqttPublisher()) {
            String site = site(mqtt, Map.of("site-kind", "store", "size", "standard"));
            ConcurrentLinkedQueue<Message> received = mqtt.subscribe(Topics.desired(site));
            await().atMost(Duration.ofSeconds(20)).until(() -> latest(received, 1) != null);
            DesiredState first = latest(received, 1);
            assertEquals("store-standard", first.spec().path("template").asText());
            assertEquals("v1.31.4+k3s1", first.spec().path("versions").path("k3s").asText());
            assertFalse(first.spec().has("selector") || first.spec().has("rollout"), "the hub's business only");
            await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(1).equals(
                    given().get("/api/v1/sites/" + site + "/desired").then().extract().path("publishedGeneration")));

            var put = given().contentType("application/json").body("{\"vip\": {\"address\": \"10.1.2.10\"}}")
                    .put("/api/v1/sites/" + site + "/overrides").then().extract();
            assertEquals(200, put.statusCode(), put.asString());
            assertEquals(2, (int) put.path("generation"));
            await().atMost(Duration.ofSeconds(10)).until(() -> latest(received, 2) != null);
            var vip = latest(received, 2).spec().path("vip");
            assertEquals("10.1.2.10", vip.path("address").asText(), "the override");
            assertEquals("eth0", vip.path("device").asText(), "merged with the template's fields");

            assertEquals(400, given().contentType("application/json").body("{\"revision\": 9}")
                    .put("/api/v1/sites/" + site + "/overrides").then().extract().statusCode());
            assertEquals(400, given().contentType("application/json").body("[1]")
                    .put("/api/v1/sites/" + site + "/overrides").then().extract().statusCode());
        }
    }

    @Test
    void aSiteMatchingNoTemplateOrTwoStaysUnboundWithTheReason() throws Exception {
        String base = Files.readString(Path.of("../fleet-templates/lab.yaml"));
        for (String name : List.of("clash-one", "clash-two")) {
            int code = given().contentType("application/yaml").body(base.replace("name: lab", "name: " + name)
                    .replace("site-kind: lab", "site-kind: clash").getBytes(StandardCharsets.UTF_8))
                    .post("/api/v1/templates").then().extract().statusCode();
            assertTrue(code == 201 || code == 200, "stored: " + code);
        }
        try (MqttPublisher mqtt = new MqttPublisher()) {
            String none = site(mqtt, Map.of("site-kind", "store"));
            String two = site(mqtt, Map.of("site-kind", "clash"));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    given().get("/api/v1/sites/" + two + "/desired").then().extract().statusCode() == 200
                            && given().get("/api/v1/sites/" + none + "/desired").then().extract().statusCode() == 200);
            assertEquals("no template's selector matches the site's labels",
                    given().get("/api/v1/sites/" + none + "/desired").then().extract().path("reason"));
            var clash = given().get("/api/v1/sites/" + two + "/desired").then().extract();
            assertEquals(List.of("clash-one", "clash-two"), clash.path("matching"));
            assertTrue(clash.<String>path("reason").startsWith("more than one template matches"));
            assertEquals(404, given().contentType("application/json").body("{}")
                    .put("/api/v1/sites/" + two + "/overrides").then().extract().statusCode());
        }
    }
}
