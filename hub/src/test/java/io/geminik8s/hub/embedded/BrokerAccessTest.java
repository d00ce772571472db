package io.geminik8s.hub.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.geminik8s.embedded.EmbeddedBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zero-install hub's broker against the attacks that worked on it (issue 12): an anonymous client joining the
 * hub's shared subscription, publishing a retained desired state, taking the hub's client id, dodging the connection
 * limit with a {@code gk8s-hub-} id, speaking for another node, reading another site. Real embedded HiveMQ.
 */
class BrokerAccessTest {

    private static final String SECRET = "a-secret-only-this-process-knows";
    @TempDir
    Path home;
    private EmbeddedBroker broker;

    @BeforeEach
    void start() {
        broker = new EmbeddedBroker(home, 0, false, null).access(SECRET, false).maxConnections(3, "gk8s-hub-").start();
    }

    @AfterEach
    void stop() {
        broker.stop();
    }

    private Optional<Mqtt5ConnAckReasonCode> refusal(Mqtt5BlockingClient c, String user, String password) {
        try {
            var connect = c.connectWith();
            if (user != null) {
                connect = connect.simpleAuth().username(user).password(password == null ? new byte[0]
                        : password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
            }
            connect.send();
            return Optional.empty();
        } catch (Mqtt5ConnAckException e) {
            return Optional.of(e.getMqttMessage().getReasonCode());
        }
    }

    private Mqtt5BlockingClient client(String id) {
        return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
    }

    private Mqtt5BlockingClient connected(String id, String user, String password) {
        Mqtt5BlockingClient c = client(id);
        assertEquals(Optional.empty(), refusal(c, user, password), id + " connects");
        return c;
    }

    @Test
    void strangersAndImpostorsAreRefusedAtConnect() {
        var notAuthorized = Optional.of(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        assertEquals(notAuthorized, refusal(client("anonymous"), null, null));
        assertEquals(notAuthorized, refusal(client("gk8s-hub-1"), null, null), "the hub's id without its secret");
        assertEquals(notAuthorized, refusal(client("gk8s-hub-1"), "gk8s-hub", "guess"));
        assertEquals(notAuthorized, refusal(client("gk8s-s1-b"), "s1/a", null), "client id of another node");
        assertEquals(notAuthorized, refusal(client("gk8s-s1-a"), "s1", null), "no node in the identity");
        assertEquals(notAuthorized, refusal(client("gk8s-hub-x"), "s1/a", null), "a gk8s-hub- id to dodge the limit");
        assertTrue(broker.unauthorizedConnections() >= 6);
    }

    @Test
    void aNodeSpeaksOnlyForItselfAndReadsOnlyItsOwnSite() throws Exception {
        Mqtt5BlockingClient hub = connected("gk8s-hub-1", "gk8s-hub", SECRET);
        var received = hub.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL);
        assertFalse(hub.subscribeWith().topicFilter("$share/gk8s-hub/gk8s/v1/up/#").qos(MqttQos.AT_LEAST_ONCE).send()
                .getReasonCodes().get(0).isError(), "the hub joins its shared subscription");
        Mqtt5BlockingClient node = connected("gk8s-s1-a", "s1/a", null);

        var own = node.publishWith().topic("gk8s/v1/up/s1/a/health").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1})
                .send();
        assertFalse(own.getError().isPresent(), "its own topic");
        Optional<Mqtt5Publish> got = received.receive(10, TimeUnit.SECONDS);
        assertEquals("gk8s/v1/up/s1/a/health", got.orElseThrow().getTopic().toString());

        for (String topic : new String[]{"gk8s/v1/up/s1/b/health", "gk8s/v1/up/s2/a/witness",
                "gk8s/v1/down/s1/desired", "gk8s/v1/down/s1/a/cmd", "gk8s/v1/hub/1/canary"}) {
            Mqtt5BlockingClient impostor = connected("gk8s-s1-a", "s1/a", null); // takes over the node's session
            String outcome;
            try {
                impostor.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(new byte[]{2})
                        .send();
                outcome = "accepted";
            } catch (com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException e) {
                outcome = e.getMqttMessage().getReasonCode().toString();
            } catch (RuntimeException closed) { // HiveMQ closes the connection of a client that publishes beyond its rights
                outcome = "disconnected";
            }
            assertTrue(outcome.equals("NOT_AUTHORIZED") || outcome.equals("disconnected"), topic + ": " + outcome);
        }
        assertTrue(received.receive(500, TimeUnit.MILLISECONDS).isEmpty(), "nothing refused reached the hub");

        node = connected("gk8s-s1-a", "s1/a", null);
        for (String filter : new String[]{"$share/gk8s-hub/gk8s/v1/up/#", "gk8s/v1/up/#", "gk8s/v1/down/#",
                "gk8s/v1/down/s2/desired", "gk8s/v1/down/s1/b/witness", "#"}) {
            Mqtt5SubAckReasonCode code;
            try {
                code = node.subscribeWith().topicFilter(filter).send().getReasonCodes().get(0);
            } catch (com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException e) {
                code = e.getMqttMessage().getReasonCodes().get(0);
            }
            assertEquals(Mqtt5SubAckReasonCode.NOT_AUTHORIZED, code, filter);
        }
        assertFalse(node.subscribeWith().topicFilter("gk8s/v1/down/s1/desired").send().getReasonCodes().get(0)
                .isError(), "its site's desired state");
        assertFalse(node.subscribeWith().topicFilter("gk8s/v1/down/s1/a/witness").send().getReasonCodes().get(0)
                .isError(), "its own witness replies");
        node.disconnect();
        hub.disconnect();
    }

    @Test
    void onlyTheHubGetsInAtTheLimit() {
        Mqtt5BlockingClient a = connected("gk8s-s1-a", "s1/a", null);
        Mqtt5BlockingClient b = connected("gk8s-s1-b", "s1/b", null);
        Mqtt5BlockingClient c = connected("gk8s-s2-a", "s2/a", null);
        assertEquals(Optional.of(Mqtt5ConnAckReasonCode.QUOTA_EXCEEDED), refusal(client("gk8s-s2-b"), "s2/b", null));
        Mqtt5BlockingClient hub = connected("gk8s-hub-1", "gk8s-hub", SECRET);
        for (Mqtt5BlockingClient x : new Mqtt5BlockingClient[]{a, b, c, hub}) {
            x.disconnect();
        }
    }
}
