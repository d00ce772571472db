package io.geminik8s.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.geminik8s.protocol.DecodeError.Reason;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * JSON codec of the protocol. Decoding is strict (size limit, schema major version, types without coercion,
 * required fields, semantic rules) and never throws: every failure is a {@link Decoded.Failed} with a reason.
 * Thread-safe.
 */
public final class Codec {

    public static final int DEFAULT_MAX_BYTES = 64 * 1024;

    private final ObjectMapper mapper;
    private final int maxBytes;

    public Codec() {
        this(DEFAULT_MAX_BYTES);
    }

    public Codec(int maxBytes) {
        this.maxBytes = maxBytes;
        JsonMapper.Builder b = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // minors add fields
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .serializationInclusion(JsonInclude.Include.NON_NULL);
        this.mapper = b.build();
        for (CoercionInputShape shape : new CoercionInputShape[] {CoercionInputShape.Integer,
                CoercionInputShape.Float, CoercionInputShape.Boolean}) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        mapper.getFactory().setStreamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(maxBytes).build());
    }

    /** The shared mapper, for callers that need to build {@link DesiredState#spec()} trees. */
    public ObjectMapper mapper() {
        return mapper;
    }

    public byte[] encode(Message message) {
        try {
            return mapper.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    /** Decodes a payload received on {@code topic}: the topic decides the kind; site and node must match it. */
    public Decoded<Message> decode(String topic, byte[] payload) {
        var address = Topics.parse(topic);
        if (address.isEmpty()) {
            return fail(Reason.UNKNOWN_TOPIC, null, "not a geminik8s topic: " + abbreviate(topic));
        }
        Decoded<? extends Message> d = decode(address.get().kind().type, payload);
        if (!(d instanceof Decoded.Ok<? extends Message> ok)) {
            return fail(((Decoded.Failed<? extends Message>) d).error());
        }
        Message m = ok.value();
        if (!m.site().equals(address.get().site())) {
            return fail(Reason.TOPIC_MISMATCH, "site", "payload site differs from topic site");
        }
        if (address.get().node() != null && !((NodeMessage) m).node().equals(address.get().node())) {
            return fail(Reason.TOPIC_MISMATCH, "node", "payload node differs from topic node");
        }
        return new Decoded.Ok<>(m);
    }

    public <T extends Message> Decoded<T> decode(Class<T> type, byte[] payload) {
        try {
            if (payload == null || payload.length > maxBytes) {
                return fail(Reason.TOO_LARGE, null, (payload == null ? "no" : payload.length + " bytes of")
                        + " payload, limit " + maxBytes);
            }
            JsonNode tree;
            try {
                tree = mapper.readTree(payload);
            } catch (IOException e) {
                return fail(Reason.MALFORMED_JSON, null, firstLine(e.getMessage()));
            }
            if (tree == null || !tree.isObject()) {
                return fail(Reason.MALFORMED_JSON, null, "payload must be a JSON object");
            }
            JsonNode v = tree.get("v");
            if (v == null || v.isNull()) {
                return fail(Reason.MISSING_FIELD, "v", "schema version is missing");
            }
            SchemaVersion version;
            try {
                version = SchemaVersion.parse(v.isTextual() ? v.textValue() : null);
            } catch (IllegalArgumentException e) {
                return fail(Reason.INVALID_FIELD, "v", e.getMessage());
            }
            if (!version.readableBy(SchemaVersion.CURRENT)) {
                return fail(Reason.UNSUPPORTED_VERSION, "v",
                        "schema " + version + " not readable, this side speaks " + SchemaVersion.CURRENT);
            }
            T value;
            try {
                value = mapper.treeToValue(tree, type);
            } catch (JsonMappingException e) {
                return fail(Reason.INVALID_FIELD, path(e), firstLine(e.getOriginalMessage()));
            }
            var problem = value.validate();
            return problem.isPresent() ? fail(problem.get()) : new Decoded.Ok<>(value);
        } catch (IOException | RuntimeException e) { // last line of defence: hostile input must not escape
            return fail(Reason.MALFORMED_JSON, null, e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
        }
    }

    private static String path(JsonMappingException e) {
        if (e.getPath().isEmpty()) {
            return null;
        }
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return abbreviate(nl < 0 ? s : s.substring(0, nl));
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static <T> Decoded<T> fail(Reason reason, String field, String detail) {
        return new Decoded.Failed<>(new DecodeError(reason, field, detail));
    }

    private static <T> Decoded<T> fail(DecodeError e) {
        return new Decoded.Failed<>(e);
    }
}
