package io.geminik8s.hub;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Topics;
import java.util.UUID;

/** Publishes to (and listens on) the test broker as a node would, or as a hostile client would. */
public final class MqttPublisher implements AutoCloseable {

    private final Codec codec = new Codec();
    private final Mqtt5BlockingClient client;

    public MqttPublisher() {
        client = Mqtt5Client.builder().identifier("test-" + UUID.randomUUID()).serverHost("127.0.0.1")
                .serverPort(HubInfrastructure.mqttPort).buildBlocking();
        client.connect();
    }

    /** Decoded messages on {@code topicFilter}, as they arrive. */
    public java.util.concurrent.ConcurrentLinkedQueue<Message> subscribe(String topicFilter) {
        var received = new java.util.concurrent.ConcurrentLinkedQueue<Message>();
        client.toAsync().subscribeWith().topicFilter(topicFilter).qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            var d = codec.decode(p.getTopic().toString(), p.getPayloadAsBytes());
            if (d.ok()) {
                received.add(d.orThrow());
            }
        }).send().join();
        return received;
    }

    public void publish(Message m) {
        Kind k = Kind.of(m);
        raw(Topics.topicOf(m), codec.encode(m), k.retained);
    }

    public void raw(String topic, byte[] payload, boolean retain) {
        client.publishWith().topic(topic).payload(payload).qos(MqttQos.AT_LEAST_ONCE).retain(retain).send();
    }

    @Override
    public void close() {
        client.disconnect();
    }
}
