package io.geminik8s.protocol;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Collects the first semantic violation of a message; used by the records' {@code validate()}. */
final class Rules {

    /** Site and node ids are DNS labels: safe in topics, host names and client ids. */
    static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final int MAX_TEXT = 4096;

    private DecodeError first;

    static Rules of(String v) {
        Rules r = new Rules();
        r.present("v", v);
        return r;
    }

    Rules present(String field, Object value) {
        if (first == null && value == null) {
            first = new DecodeError(DecodeError.Reason.MISSING_FIELD, field, "required field is missing");
        }
        return this;
    }

    Rules id(String field, String value) {
        present(field, value);
        if (first == null && !ID.matcher(value).matches()) {
            invalid(field, "must be a DNS label (lowercase letters, digits, '-', at most 63 chars)");
        }
        return this;
    }

    Rules min(String field, Number value, long min) {
        present(field, value);
        if (first == null && value.doubleValue() < min) {
            invalid(field, "must be >= " + min);
        }
        return this;
    }

    Rules range(String field, Number value, double min, double max) {
        if (first == null && value != null && (value.doubleValue() < min || value.doubleValue() > max)) {
            invalid(field, "must be between " + min + " and " + max);
        }
        return this;
    }

    Rules text(String field, String value, boolean required) {
        if (required) {
            present(field, value);
        }
        if (first == null && value != null && (value.isBlank() || value.length() > MAX_TEXT)) {
            invalid(field, "must be non-blank and at most " + MAX_TEXT + " chars");
        }
        if (first == null && value != null && value.indexOf('\0') >= 0) {
            invalid(field, "must not contain NUL"); // PostgreSQL's jsonb refuses it: never let one into a batch
        }
        return this;
    }

    /**
     * Text shown to people as it is (API, CLI, NOC): besides {@link #text}, at most {@code max} chars and no control,
     * format (bidi overrides), line or paragraph separator characters.
     */
    Rules plain(String field, String value, boolean required, int max) {
        text(field, value, required);
        if (first == null && value != null && (value.length() > max || value.codePoints().anyMatch(c -> {
            int t = Character.getType(c);
            return t == Character.CONTROL || t == Character.FORMAT || t == Character.LINE_SEPARATOR
                    || t == Character.PARAGRAPH_SEPARATOR;
        }))) {
            invalid(field, "at most " + max + " chars, without control, format or separator characters");
        }
        return this;
    }

    Rules noNullEntries(String field, Map<?, ?> map) {
        if (first == null && map != null && (map.containsKey(null) || map.containsValue(null))) {
            invalid(field, "must not contain null keys or values");
        }
        return this;
    }

    Rules noNullItems(String field, Collection<?> items) {
        if (first == null && items != null && items.contains(null)) {
            invalid(field, "must not contain null items");
        }
        return this;
    }

    Rules check(boolean condition, String field, String detail) {
        if (first == null && !condition) {
            invalid(field, detail);
        }
        return this;
    }

    Rules nested(String prefix, Optional<DecodeError> inner) {
        if (first == null && inner.isPresent()) {
            DecodeError e = inner.get();
            first = new DecodeError(e.reason(), e.field() == null ? prefix : prefix + "." + e.field(), e.detail());
        }
        return this;
    }

    Optional<DecodeError> result() {
        return Optional.ofNullable(first);
    }

    private void invalid(String field, String detail) {
        first = new DecodeError(DecodeError.Reason.INVALID_FIELD, field, detail);
    }
}
