package io.geminik8s.protocol;

/** Result of decoding: never an exception. */
public sealed interface Decoded<T> {

    record Ok<T>(T value) implements Decoded<T> {
    }

    record Failed<T>(DecodeError error) implements Decoded<T> {
    }

    default boolean ok() {
        return this instanceof Ok;
    }

    /** The value; throws IllegalStateException on a failure (for tests and callers that checked {@link #ok()}). */
    default T orThrow() {
        if (this instanceof Ok<T> o) {
            return o.value();
        }
        throw new IllegalStateException(((Failed<T>) this).error().toString());
    }
}
