package io.geminik8s.hub;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Topics;
import java.util.UUID;

/** Publishes to the test broker as a node would (or as a hostile client would). */
final class MqttPublisher implements AutoCloseable {

    private final Codec codec = new Codec();
    private final Mqtt5BlockingClient client;

    MqttPublisher() {
        client = Mqtt5Client.builder().identifier("test-" + UUID.randomUUID()).serverHost("127.0.0.1")
                .serverPort(HubInfrastructure.mqttPort).buildBlocking();
        client.connect();
    }

    void publish(Message m) {
        Kind k = Kind.of(m);
        raw(Topics.topicOf(m), codec.encode(m), k.retained);
    }

    void raw(String topic, byte[] payload, boolean retain) {
        client.publishWith().topic(topic).payload(payload).qos(MqttQos.AT_LEAST_ONCE).retain(retain).send();
    }

    @Override
    public void close() {
        client.disconnect();
    }
}
