package io.geminik8s.agent;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Topics;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A plain MQTT 5 client standing in for the hub in agent tests: records every decoded message it receives. */
final class TestClient implements AutoCloseable {

    private final Codec codec = new Codec();
    private final Mqtt5BlockingClient client;
    final ConcurrentLinkedQueue<Message> received = new ConcurrentLinkedQueue<>();

    TestClient(int port, String id, boolean persistentSession) {
        client = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .automaticReconnectWithDefaultConfig().buildBlocking();
        client.toAsync().publishes(MqttGlobalPublishFilter.ALL, p -> {
            var d = codec.decode(p.getTopic().toString(), p.getPayloadAsBytes());
            if (d.ok()) {
                received.add(d.orThrow());
            }
        });
        client.connectWith().cleanStart(!persistentSession).sessionExpiryInterval(persistentSession ? 600 : 0).send();
        client.subscribeWith().topicFilter(Topics.ALL_UP).qos(MqttQos.AT_LEAST_ONCE).send();
    }

    void publish(Message m) {
        raw(Topics.topicOf(m), codec.encode(m), Kind.of(m).retained);
    }

    void raw(String topic, byte[] payload, boolean retain) {
        client.publishWith().topic(topic).payload(payload).qos(MqttQos.AT_LEAST_ONCE).retain(retain).send();
    }

    <T extends Message> List<T> all(Class<T> type) {
        return received.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Override
    public void close() {
        client.disconnect();
    }
}
