package io.geminik8s.agent.ha;

import io.geminik8s.protocol.Severity;
import java.util.Map;

/** Where the HA supervisor reports what it did: the agent's journal, so the hub gets it even after an outage. */
@FunctionalInterface
public interface HaEvents {

    HaEvents NONE = (type, severity, message, attrs) -> { };

    void record(String type, Severity severity, String message, Map<String, String> attrs);
}
