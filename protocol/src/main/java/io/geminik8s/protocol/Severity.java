package io.geminik8s.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

public enum Severity {
    INFO, WARNING, CRITICAL;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}
