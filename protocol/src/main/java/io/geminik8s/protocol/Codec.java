package io.geminik8s.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.protocol.DecodeError.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * JSON codec of the protocol. Decoding is strict (size limit, schema major version, types without coercion,
 * required fields, semantic rules) and never throws: every failure is a {@link Decoded.Failed} with a reason.
 * Payloads are read and written by {@link JsonTree} and {@link RecordJson} on jackson-core alone: an agent never loads
 * databind's {@code ObjectMapper} (~9 MB of its resident memory). Thread-safe.
 */
public final class Codec {

    public static final int DEFAULT_MAX_BYTES = 64 * 1024;

    private final JsonTree json;
    private final int maxBytes;
    private volatile ObjectMapper mapper;

    public Codec() {
        this(DEFAULT_MAX_BYTES);
    }

    public Codec(int maxBytes) {
        this.maxBytes = maxBytes;
        this.json = new JsonTree(maxBytes);
    }

    /**
     * A databind mapper with the protocol's settings (no coercion, nulls left out), made at the first call: for the
     * hub's stores and resources, which bind more than protocol records. The agent does not call it.
     */
    public ObjectMapper mapper() {
        ObjectMapper m = mapper;
        if (m == null) {
            synchronized (this) {
                if (mapper == null) {
                    mapper = StrictMapper.of(maxBytes);
                }
                m = mapper;
            }
        }
        return m;
    }

    /** The JSON value in {@code bytes} as a tree (a missing node for empty input); strict as payloads are. */
    public JsonNode tree(byte[] bytes) throws IOException {
        return json.read(bytes);
    }

    /**
     * The record {@code type} in the JSON text {@code bytes}, bound as payloads are; empty text, bad JSON or a value
     * that does not fit is an IOException saying which.
     */
    public <T extends Record> T read(byte[] bytes, Class<T> type) throws IOException {
        JsonNode tree = json.read(bytes);
        if (tree.isMissingNode()) {
            throw new IOException("empty JSON text");
        }
        try {
            return bind(tree, type);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * {@code node} bound to the record {@code type} as payloads are (no coercion, unknown fields skipped); a value
     * that does not fit is an IllegalArgumentException naming its path.
     */
    public <T extends Record> T bind(JsonNode node, Class<T> type) {
        try {
            return RecordJson.read(node, type);
        } catch (RecordJson.BindException e) {
            throw new IllegalArgumentException((e.path == null ? "" : e.path + ": ") + e.getMessage());
        }
    }

    /** {@code value} (a record, map, list or plain value) as JSON text, null components left out. */
    public byte[] bytesOf(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.generator(out)) {
            RecordJson.write(g, value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getSimpleName() + ": "
                    + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    public byte[] encode(Message message) {
        return bytesOf(message);
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
                tree = json.read(payload);
            } catch (IOException e) {
                return fail(Reason.MALFORMED_JSON, null, firstLine(e.getMessage()));
            }
            if (!tree.isObject()) {
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
                value = RecordJson.read(tree, type);
            } catch (RecordJson.BindException e) {
                return fail(Reason.INVALID_FIELD, e.path, firstLine(e.getMessage()));
            }
            var problem = value.validate();
            return problem.isPresent() ? fail(problem.get()) : new Decoded.Ok<>(value);
        } catch (RuntimeException e) { // last line of defence: hostile input must not escape
            return fail(Reason.MALFORMED_JSON, null, e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
        }
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
