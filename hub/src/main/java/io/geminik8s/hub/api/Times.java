package io.geminik8s.hub.api;

import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * The API's one form of time: an {@link Instant}, written RFC 3339 in UTC ({@code 2026-11-29T11:17:55.252Z}); a time
 * not yet reached is absent, never {@code -1} or a database's text form.
 */
public final class Times {

    private Times() {
    }

    /** Epoch milliseconds as stored, or null for the "not yet" a stored {@code -1} (or null) means. */
    public static Instant epochMs(Long ms) {
        return ms == null || ms < 0 ? null : Instant.ofEpochMilli(ms);
    }

    public static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
