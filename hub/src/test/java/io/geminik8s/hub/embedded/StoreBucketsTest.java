package io.geminik8s.hub.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.configuration.service.InternalConfigurations;
import io.geminik8s.embedded.EmbeddedBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker's stores use 4 buckets in a data folder it creates (HiveMQ's 64 cost ~70 MB of native memory),
 * keep them across restarts (a retained message survives), and keep HiveMQ's 64 in a folder an older hub made.
 */
class StoreBucketsTest {

    @TempDir
    Path dir;

    @Test
    void aNewDataFolderGetsFourBucketsAndKeepsThem() throws Exception {
        Path home = dir.resolve("fresh");
        EmbeddedBroker broker = new EmbeddedBroker(home, 0, true, null).start();
        try {
            assertEquals(4, InternalConfigurations.PAYLOAD_PERSISTENCE_BUCKET_COUNT.get());
            assertEquals("4", Files.readString(home.resolve("data/gk8s-store-buckets")));
            Mqtt5BlockingClient c = Mqtt5Client.builder().identifier("buckets").serverHost("127.0.0.1")
                    .serverPort(broker.port()).buildBlocking();
            c.connect();
            c.publishWith().topic("kept").retain(true).qos(MqttQos.AT_LEAST_ONCE)
                    .payload("x".getBytes(StandardCharsets.UTF_8)).send();
            c.disconnect();
        } finally {
            broker.close();
        }
        broker = new EmbeddedBroker(home, 0, true, null).start();
        try {
            assertEquals(4, InternalConfigurations.PERSISTENCE_BUCKET_COUNT.get());
            Mqtt5BlockingClient c = Mqtt5Client.builder().identifier("buckets-2").serverHost("127.0.0.1")
                    .serverPort(broker.port()).buildBlocking();
            c.connect();
            try (var publishes = c.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
                c.subscribeWith().topicFilter("kept").send();
                assertEquals("x", new String(publishes.receive(10, TimeUnit.SECONDS).orElseThrow().getPayloadAsBytes(),
                        StandardCharsets.UTF_8), "the retained message survived the restart");
            }
            c.disconnect();
        } finally {
            broker.close();
        }
    }

    @Test
    void aFolderAnOlderHubMadeKeepsHiveMqsDefault() throws Exception {
        Path home = dir.resolve("older");
        Files.createDirectories(home.resolve("data/persistence"));
        EmbeddedBroker broker = new EmbeddedBroker(home, 0, true, null).start();
        try {
            assertEquals(64, InternalConfigurations.PAYLOAD_PERSISTENCE_BUCKET_COUNT.get());
            assertFalse(Files.exists(home.resolve("data/gk8s-store-buckets")));
        } finally {
            broker.close();
        }
    }
}
