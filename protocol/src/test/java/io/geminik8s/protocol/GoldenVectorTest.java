package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GoldenVectorTest {

    private final Codec codec = new Codec();

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyGoldenVectorDecodesToTheExpectedRecord(Kind kind) {
        Message decoded = codec.decode(kind.type, Golden.bytes(Golden.V1_0, kind)).orThrow();
        assertEquals(Golden.expected(kind), decoded);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void encodingTheExpectedRecordGivesTheGoldenJson(Kind kind) throws Exception {
        JsonNode encoded = codec.mapper().readTree(codec.encode(Golden.expected(kind)));
        JsonNode golden = codec.mapper().readTree(Golden.bytes(Golden.V1_0, kind));
        assertEquals(golden, encoded);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void roundTripThroughTheTopicKeepsTheValue(Kind kind) {
        Message m = Golden.expected(kind);
        assertEquals(m, codec.decode(Topics.topicOf(m), codec.encode(m)).orThrow());
    }

    @Test
    void aNewerMinorWithUnknownFieldsIsReadByA10Reader() {
        Health h = codec.decode(Health.class, Golden.bytes("1.1", Kind.HEALTH)).orThrow();
        assertEquals("1.1", h.v());
        assertEquals(4096L, h.pg().replicationLagBytes());
        assertEquals(Role.STANDBY, h.pg().role());
        assertNull(h.memUsedBytes());
    }
}
