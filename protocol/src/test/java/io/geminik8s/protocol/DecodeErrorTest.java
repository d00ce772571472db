package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.DecodeError.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DecodeErrorTest {

    private final Codec codec = new Codec(4096);
    private static final String EVENT = Topics.up("s1", "a", Kind.EVENT);

    private DecodeError error(Class<? extends Message> type, String json) {
        Decoded<?> d = codec.decode(type, json.getBytes(StandardCharsets.UTF_8));
        return assertInstanceOf(Decoded.Failed.class, d, json).error();
    }

    private static String event(String fields) {
        return "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"type\":\"x.y\",\"severity\":\"info\"" + fields + "}";
    }

    @Test
    void aPayloadOverTheLimitIsTooLarge() {
        DecodeError e = error(Event.class, event(",\"seq\":1,\"message\":\"" + "x".repeat(5000) + "\""));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(e.detail().contains("limit 4096"), e.detail());
        assertEquals(Reason.TOO_LARGE, assertInstanceOf(Decoded.Failed.class, codec.decode(Event.class, null))
                .error().reason());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "not json",
            "[1,2,3]",
            "\"text\"",
            "{\"v\":\"1.0\",\"v\":\"1.0\"}",
            "{\"v\":\"1.0\"",
            "{\"v\":\"1.0\"} {}",
            "{\"v\":\"1.0\"} x",
            "{\"v\":\"1.0\",}",
            "{\"v\":\"1.0\",\"seq\":01}",
            "{\"v\":\"1.0\",\"seq\":NaN}",
            "''"})
    void brokenJsonIsMalformed(String json) {
        assertEquals(Reason.MALFORMED_JSON, error(Event.class, json).reason());
    }

    @Test
    void emptyOrBlankTextIsAMissingTreeAsDatabindReadItNotANull() throws Exception {
        for (String text : new String[] {"", "  \n"}) {
            var tree = codec.tree(text.getBytes(StandardCharsets.UTF_8));
            assertTrue(tree.isMissingNode(), "'" + text + "' read as " + tree);
            assertTrue(tree.path("versions").path("k3s").isMissingNode(), "paths into it find nothing");
        }
        assertEquals(Reason.MALFORMED_JSON, error(Event.class, " ").reason());
    }

    @Test
    void excessiveNestingIsMalformed() {
        String deep = "{\"v\":\"1.0\",\"x\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertEquals(Reason.MALFORMED_JSON, error(Event.class, deep).reason());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"site\":\"s1\"}|MISSING_FIELD|v",
            "{\"v\":null}|MISSING_FIELD|v",
            "{\"v\":1.0}|INVALID_FIELD|v",
            "{\"v\":\"one\"}|INVALID_FIELD|v",
            "{\"v\":\"2.0\",\"site\":\"s1\"}|UNSUPPORTED_VERSION|v",
            "{\"v\":\"0.9\"}|UNSUPPORTED_VERSION|v"})
    void schemaVersionIsCheckedFirst(String json, Reason reason, String field) {
        DecodeError e = error(Event.class, json);
        assertEquals(reason, e.reason());
        assertEquals(field, e.field());
    }

    /** Each row: a field of a valid event, the JSON to put there ("-" removes it), the expected error. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "seq|-|MISSING_FIELD",
            "seq|0|INVALID_FIELD",
            "seq|\"5\"|INVALID_FIELD",
            "seq|1.5|INVALID_FIELD",
            "seq|{}|INVALID_FIELD",
            "seq|true|INVALID_FIELD",
            "seq|1e3|INVALID_FIELD",
            "seq|99999999999999999999|INVALID_FIELD",
            "type|5|INVALID_FIELD",
            "type|true|INVALID_FIELD",
            "type|[\"a\"]|INVALID_FIELD",
            "severity|1|INVALID_FIELD",
            "severity|\"WARN\"|INVALID_FIELD",
            "attrs|[]|INVALID_FIELD",
            "attrs|\"k=v\"|INVALID_FIELD",
            "severity|\"loud\"|INVALID_FIELD",
            "severity|-|MISSING_FIELD",
            "attrs|{\"k\":null}|INVALID_FIELD",
            "type|\"Bad Type\"|INVALID_FIELD",
            "ts|-1|INVALID_FIELD"})
    void eventFieldErrorsNameTheField(String field, String json, Reason reason) throws Exception {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) codec.mapper().readTree(event(",\"seq\":1"));
        if (json.equals("-")) {
            node.remove(field);
        } else {
            node.set(field, codec.mapper().readTree(json));
        }
        DecodeError e = error(Event.class, node.toString());
        assertEquals(reason, e.reason(), e.toString());
        assertEquals(field, e.field(), e.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"v\":\"1.0\",\"site\":\"Store 1\",\"node\":\"a\",\"ts\":1}|INVALID_FIELD|site",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"ts\":1}|MISSING_FIELD|node",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"cpuPct\":140}|INVALID_FIELD|cpuPct",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"pg\":{}}|MISSING_FIELD|pg.role",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"pg\":{\"role\":\"leader\"}}|INVALID_FIELD|pg.role",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"certs\":[{\"notAfter\":1}]}|MISSING_FIELD|certs[0].path",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"certs\":[{\"path\":7}]}|INVALID_FIELD|certs[0].path",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"certs\":[{\"path\":\"p\"},{\"path\":\"q\",\"notAfter\":\"1\"}]}|INVALID_FIELD|certs[1].notAfter",
            "{\"v\":\"1.3\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"runtime\":{\"versions\":{\"k3s\":1}}}|INVALID_FIELD|runtime.versions.k3s",
            "{\"v\":\"1.3\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"runtime\":{\"k3sReady\":\"true\"}}|INVALID_FIELD|runtime.k3sReady",
            "{\"v\":\"1.0\",\"site\":\"s1\",\"node\":\"a\",\"ts\":1,\"cpuPct\":\"5\"}|INVALID_FIELD|cpuPct"})
    void healthFieldErrorsNameTheNestedPath(String json, Reason reason, String field) {
        DecodeError e = error(Health.class, json);
        assertEquals(reason, e.reason(), e.toString());
        assertEquals(field, e.field(), e.toString());
    }

    @Test
    void commandExpiryBeforeIssueIsInvalid() {
        DecodeError e = error(Command.class, "{\"v\":\"1.0\",\"id\":\"c1\",\"site\":\"s1\",\"node\":\"a\",\"name\":\"ping\","
                + "\"issuedAt\":10,\"expiresAt\":5}");
        assertEquals(Reason.INVALID_FIELD, e.reason());
        assertEquals("expiresAt", e.field());
    }

    @Test
    void desiredSpecMustBeAnObject() {
        DecodeError e = error(DesiredState.class, "{\"v\":\"1.0\",\"site\":\"s1\",\"generation\":1,\"issuedAt\":1,\"spec\":[]}");
        assertEquals("spec", e.field());
    }

    @Test
    void witnessRequestsNameTheirPeerWhenTheyReportOne() {
        DecodeError e = error(WitnessRequest.class, "{\"v\":\"1.0\",\"id\":\"w1\",\"site\":\"s1\",\"node\":\"a\","
                + "\"ts\":1,\"op\":\"peer-lost\",\"epoch\":3}");
        assertEquals(Reason.INVALID_FIELD, e.reason());
        assertEquals("peer", e.field());
        DecodeError promote = error(WitnessRequest.class, "{\"v\":\"1.0\",\"id\":\"w1\",\"site\":\"s1\","
                + "\"node\":\"b\",\"ts\":1,\"op\":\"promote\",\"epoch\":4}");
        assertEquals("sinceLastAckMs", promote.field());
        DecodeError wait = error(WitnessReply.class, "{\"v\":\"1.0\",\"id\":\"w1\",\"site\":\"s1\",\"node\":\"a\","
                + "\"ts\":1,\"outcome\":\"wait\",\"epoch\":3}");
        assertEquals("retryAfterMs", wait.field());
    }

    @Test
    void topicErrors() {
        byte[] event = event(",\"seq\":1").getBytes(StandardCharsets.UTF_8);
        assertEquals(Reason.UNKNOWN_TOPIC, failed(codec.decode("gk8s/v9/up/s1/a/event", event)).reason());
        DecodeError site = failed(codec.decode(Topics.up("s2", "a", Kind.EVENT), event));
        assertEquals(Reason.TOPIC_MISMATCH, site.reason());
        assertEquals("site", site.field());
        DecodeError node = failed(codec.decode(Topics.up("s1", "b", Kind.EVENT), event));
        assertEquals("node", node.field());
        assertTrue(codec.decode(EVENT, event).ok());
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(42);
        byte[] golden = Golden.bytes(Golden.V1_0, Kind.HEALTH);
        for (int i = 0; i < 20_000; i++) {
            byte[] payload = i % 2 == 0 ? new byte[random.nextInt(300)] : golden.clone();
            if (i % 2 == 0) {
                random.nextBytes(payload);
            } else {
                payload[random.nextInt(payload.length)] = (byte) random.nextInt(256);
            }
            Decoded<Message> d = codec.decode(Topics.up("store-0042", "a", Kind.HEALTH), payload);
            assertTrue(d.ok() || ((Decoded.Failed<Message>) d).error().reason() != null);
        }
    }

    private static DecodeError failed(Decoded<?> d) {
        return assertInstanceOf(Decoded.Failed.class, d).error();
    }
}
