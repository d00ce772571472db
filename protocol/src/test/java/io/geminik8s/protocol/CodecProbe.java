package io.geminik8s.protocol;

import java.util.function.BiFunction;

/**
 * Decodes a payload of a kind, encodes the value and decodes that again, calling the codec directly: loaded by
 * {@link CodecWithoutDatabindTest}'s own class loader (reflection on {@code Codec} itself would load the types in its
 * method signatures, {@code ObjectMapper} among them). Answers null when both decodes agree, else what went wrong.
 */
public final class CodecProbe implements BiFunction<String, byte[], String> {

    private final Codec codec = new Codec();

    @Override
    public String apply(String kindName, byte[] payload) {
        Class<? extends Message> type = Kind.valueOf(kindName).type;
        Decoded<? extends Message> first = codec.decode(type, payload);
        if (!(first instanceof Decoded.Ok<? extends Message> ok)) {
            return "not decoded: " + first;
        }
        Decoded<? extends Message> again = codec.decode(type, codec.encode(ok.value()));
        return again.ok() && again.orThrow().equals(ok.value()) ? null : "after encoding: " + again;
    }
}
