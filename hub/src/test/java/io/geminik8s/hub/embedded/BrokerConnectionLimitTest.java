package io.geminik8s.hub.embedded;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.geminik8s.embedded.EmbeddedBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At its open-file limit a process accepts nothing more — the hub's HTTP API included (measured with 19,000 agents
 * against a limit of 20,000). The embedded broker therefore admits only as many clients as the limit leaves room for
 * and refuses the rest at CONNECT, while the clients it holds keep working.
 */
class BrokerConnectionLimitTest {

    @TempDir
    Path dir;

    @Test
    void refusesClientsBeyondItsLimitButNeverTheHubAndAdmitsOneWhenASlotFrees() throws Exception {
        try (EmbeddedBroker broker = new EmbeddedBroker(Files.createDirectories(dir.resolve("b")), 0, false, null)
                .maxConnections(3, HubMain.HUB_CLIENTS).start()) {
            List<Mqtt5BlockingClient> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(client(broker, "held-" + i));
                held.get(i).connect();
            }
            assertEquals(3, broker.connections());

            Mqtt5BlockingClient extra = client(broker, "extra");
            var refused = assertThrows(Mqtt5ConnAckException.class, extra::connect);
            assertEquals(Mqtt5ConnAckReasonCode.QUOTA_EXCEEDED, refused.getMqttMessage().getReasonCode());
            held.get(0).publishWith().topic("t").payload(new byte[] {1}).send(); // the held clients still work
            assertTrue(held.stream().allMatch(c -> c.getState().isConnected()));
            assertEquals(1, broker.refusedConnections());

            Mqtt5BlockingClient hub = client(broker, HubMain.HUB_CLIENTS + "1"); // the hub gets in when agents are many
            hub.connect();
            assertTrue(hub.getState().isConnected());
            hub.disconnect();
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.connections() == 3);

            held.get(0).disconnect();
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.connections() == 2);
            extra.connect();
            assertTrue(extra.getState().isConnected());
            for (Mqtt5BlockingClient c : List.of(held.get(1), held.get(2), extra)) {
                c.disconnect();
            }
        }
    }

    @Test
    void theLimitLeavesTheHubItsOwnFiles() {
        assertEquals(18_000, EmbeddedBroker.connectionsWithin(20_000, HubMain.OWN_FILES));
        assertEquals(-1, EmbeddedBroker.connectionsWithin(Long.MAX_VALUE, HubMain.OWN_FILES));
        assertEquals(-1, EmbeddedBroker.connectionsWithin(-1, HubMain.OWN_FILES));
        assertEquals(512, EmbeddedBroker.connectionsWithin(1_024, HubMain.OWN_FILES), "a small limit: half for clients");
    }

    @Test
    void theSettingIsAutoANumberOrMinusOne() {
        assertEquals(500, HubMain.maxConnections("500"));
        assertEquals(-1, HubMain.maxConnections("-1"));
        long auto = HubMain.maxConnections("auto");
        assertTrue(auto == -1 || auto > 0, "auto gives a positive limit or none: " + auto);
        var bad = assertThrows(IllegalArgumentException.class, () -> HubMain.maxConnections("lots"));
        assertTrue(bad.getMessage().contains("gk8s.embedded.mqtt-max-connections"), bad.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new EmbeddedBroker(dir, 0, false, null).maxConnections(0, HubMain.HUB_CLIENTS));
    }

    private static Mqtt5BlockingClient client(EmbeddedBroker broker, String id) {
        return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
    }
}
