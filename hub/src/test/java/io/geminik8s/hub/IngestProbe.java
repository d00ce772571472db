package io.geminik8s.hub;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Role;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The hub subscribes asynchronously after start: tests wait until a message makes it through to the API. */
public final class IngestProbe {

    private IngestProbe() {
    }

    public static void awaitIngestReady() {
        try (MqttPublisher mqtt = new MqttPublisher()) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                long now = System.currentTimeMillis();
                mqtt.publish(new Birth("1.0", "ingest-probe", "a", now * 1000, now, "t", null, Role.UNKNOWN, Map.of(),
                        List.of(), Map.of(), 0L));
                return given().get("/api/v1/sites/ingest-probe").then().extract().statusCode() == 200;
            });
        }
    }
}
