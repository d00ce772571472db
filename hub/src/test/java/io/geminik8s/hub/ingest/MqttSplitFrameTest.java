package io.geminik8s.hub.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The hub's ingest connection decodes with Netty's MqttDecoder. Netty 4.1.133 failed a packet whose variable header
 * arrived in two reads (netty/netty#16776) and the connector then closed the connection: under bursts that happened
 * every few seconds. This pins the fixed behaviour, so a dependency downgrade cannot bring it back silently.
 */
class MqttSplitFrameTest {

    @Test
    void aPublishWhoseTopicArrivesInTwoReadsIsDecoded() {
        var topic = "gk8s/v1/up/site-00001/node-a/health";
        var payload = "{\"seq\":1}".getBytes(StandardCharsets.UTF_8);
        MqttPublishMessage publish = MqttMessageBuilders.publish()
                .topicName(topic).qos(MqttQoS.AT_LEAST_ONCE).messageId(7)
                .payload(Unpooled.wrappedBuffer(payload)).build();
        var encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        encoder.writeOutbound(publish);
        ByteBuf wire = encoder.readOutbound();

        var decoder = new EmbeddedChannel(new MqttDecoder(262_144));
        int cut = 2 + 2 + 10; // fixed header, topic length, then part of the topic
        decoder.writeInbound(wire.readRetainedSlice(cut));
        assertTrue(decoder.inboundMessages().isEmpty(), "nothing decoded from half a packet");
        decoder.writeInbound(wire.readRetainedSlice(wire.readableBytes()));

        MqttPublishMessage decoded = decoder.readInbound();
        assertTrue(decoded.decoderResult().isSuccess(), () -> "decoder failed: " + decoded.decoderResult().cause());
        assertEquals(topic, decoded.variableHeader().topicName());
        assertEquals("{\"seq\":1}", decoded.payload().toString(StandardCharsets.UTF_8));
        decoded.release();
        wire.release();
    }
}
