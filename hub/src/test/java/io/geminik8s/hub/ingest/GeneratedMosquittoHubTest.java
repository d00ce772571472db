package io.geminik8s.hub.ingest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.geminik8s.cli.mosquitto.GeneratedMosquitto;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Topics;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real hub and nodes on Debian's Mosquitto set up by {@code gk8s mosquitto-config}, as docs/security.md tells an
 * operator to run them: the hub ingests over its password listener and becomes ready (its canary passes the ACL),
 * a node with its certificate is seen and receives its site's desired state from the hub, and a node's birth for
 * another site is refused and never reaches the fleet.
 */
@QuarkusTest
@WithTestResource(value = GeneratedMosquittoInfrastructure.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class GeneratedMosquittoHubTest {

    private final Codec codec = new Codec();

    private static Mqtt5AsyncClient node(String cn) throws Exception {
        Mqtt5AsyncClient c = Mqtt5Client.builder().identifier("gk8s-" + cn.replace('/', '-')).serverHost("127.0.0.1")
                .serverPort(GeneratedMosquittoInfrastructure.nodePort).sslConfig()
                .trustManagerFactory(GeneratedMosquittoInfrastructure.pki.trust())
                .keyManagerFactory(GeneratedMosquittoInfrastructure.pki.issue(cn, false)
                        .keyManagers(GeneratedMosquittoInfrastructure.pki.ca.cert())).applySslConfig().buildAsync();
        c.connect().get(10, TimeUnit.SECONDS);
        return c;
    }

    /** gk8s_messages_in_total{kind="event"}: events the hub received from the broker. */
    private static double eventsIn() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(l -> l.startsWith("gk8s_messages_in_total{") && l.contains("kind=\"event\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private Birth birth(String site, String node) {
        long now = System.currentTimeMillis();
        return new Birth("1.0", site, node, now * 1000, now, "t", null, Role.UNKNOWN, Map.of(), List.of(),
                Map.of("site-kind", "store", "size", "standard"), 0L);
    }

    private void publish(Mqtt5AsyncClient c, Birth b) throws Exception {
        c.publishWith().topic(Topics.topicOf(b)).qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(codec.encode(b))
                .send().get(10, TimeUnit.SECONDS);
    }

    @Test
    void theHubAndItsNodesWorkThroughTheGeneratedAclAndNothingElseDoes() throws Exception {
        assumeTrue(GeneratedMosquitto.available(), "Debian's mosquitto is not installed: this test did not run");
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/q/health/ready").then().extract()
                .statusCode() == 200);

        Mqtt5AsyncClient a = node("mq-s1/a");
        Queue<String> desired = new ConcurrentLinkedQueue<>();
        a.subscribeWith().topicFilter(Topics.desired("mq-s1")).qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> desired.add(p.getTopic().toString())).send().get(10, TimeUnit.SECONDS);
        publish(a, birth("mq-s1", "a"));
        await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/api/v1/sites/mq-s1").then().extract()
                .statusCode() == 200);
        // the hub bound the site to a template and published its desired state to down/, which the node reads
        await().atMost(Duration.ofSeconds(20)).until(() -> !desired.isEmpty());

        Mqtt5AsyncClient b = node("mq-s1/b");
        ExecutionException refused = assertThrows(ExecutionException.class, () -> publish(b, birth("mq-s2", "a")));
        assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED,
                assertInstanceOf(Mqtt5PubAckException.class, refused.getCause()).getMqttMessage().getReasonCode());
        publish(b, birth("mq-s1", "b"));
        await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/api/v1/sites/mq-s1").then().extract()
                .<List<?>>path("nodes").size() == 2);
        assertEquals(404, given().get("/api/v1/sites/mq-s2").then().extract().statusCode(),
                "a site only another site's node spoke for");

        // the shared subscription an earlier hub left in the session was dropped: each event reaches the hub once
        double before = eventsIn();
        for (long seq = 1; seq <= 6; seq++) {
            Event e = new Event("1.0", "mq-s1", "a", seq, System.currentTimeMillis(), "test.once", Severity.INFO, "t",
                    Map.of());
            a.publishWith().topic(Topics.topicOf(e)).qos(MqttQos.AT_LEAST_ONCE).payload(codec.encode(e)).send()
                    .get(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/api/v1/sites/mq-s1/events").then()
                .extract().<List<Integer>>path("items.seq").contains(6));
        await().atMost(Duration.ofSeconds(10)).until(() -> eventsIn() - before >= 6);
        assertEquals(6.0, eventsIn() - before, "events received for 6 sent (12: the shared subscription is still there)");
        a.disconnect();
        b.disconnect();
    }
}
