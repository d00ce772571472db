package io.geminik8s.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** PostgreSQL role of a node as its agent sees it. */
public enum Role {
    PRIMARY, STANDBY, UNKNOWN, DOWN;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}
