package io.geminik8s.protocol;

/** Why a payload was refused; {@code field} is a JSON path such as {@code pg.role}, or null. */
public record DecodeError(Reason reason, String field, String detail) {

    public enum Reason {
        TOO_LARGE, MALFORMED_JSON, UNSUPPORTED_VERSION, MISSING_FIELD, INVALID_FIELD, UNKNOWN_TOPIC, TOPIC_MISMATCH;

        /** Stable label for metrics. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Override
    public String toString() {
        return reason.label() + (field == null ? "" : " [" + field + "]") + ": " + detail;
    }
}
