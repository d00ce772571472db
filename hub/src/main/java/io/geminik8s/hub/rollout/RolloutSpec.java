package io.geminik8s.hub.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;

/**
 * A rollout's accepted, fully resolved settings. Stored as the request form with every default filled in
 * ({@code rollout.spec}), so the API shows exactly what runs and a restarted hub parses the same thing.
 */
public record RolloutSpec(Strategy strategy, MaintenanceWindow window, Duration prestage, String k3sVersion,
                          String agentVersion) {

    /** {@code agentVersion}: only when the revision carries the agent's signed release (the agents update to it). */
    public RolloutSpec(Strategy strategy, MaintenanceWindow window, Duration prestage, String k3sVersion) {
        this(strategy, window, prestage, k3sVersion, null);
    }

    public static RolloutSpec parse(ObjectMapper json, String specJson, String k3sVersion, String agentVersion) {
        try {
            RolloutRequest r = json.readValue(specJson, RolloutRequest.class);
            return new RolloutSpec(r.resolve(null), r.resolveWindow(), r.resolvePrestage(), k3sVersion, agentVersion);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The resolved request as stored. */
    public String toJson(ObjectMapper json) {
        Strategy s = strategy;
        var dto = new RolloutRequest.StrategyDto(s.canary(), s.waves(), s.soak().toString(), s.maxInFlight(),
                s.failureThreshold(), s.onFailure().name().toLowerCase(Locale.ROOT), s.siteTimeout().toString(),
                s.pauseAfterEachWave(), s.joinLateSites());
        var w = window == null ? null : new RolloutRequest.WindowDto(window.cron(), window.duration().toString());
        try {
            return json.writeValueAsString(new RolloutRequest(null, null, null, dto, w,
                    prestage.isZero() ? null : prestage.toString(), null));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Per wave, sites per state ({"pending": 3, …}, states with none left out). */
    public static String countsJson(ObjectMapper json, int[][] waveStates) {
        ArrayNode waves = json.createArrayNode();
        for (int[] w : waveStates) {
            ObjectNode o = waves.addObject();
            for (SiteState s : SiteState.values()) {
                if (w[s.ordinal()] > 0) {
                    o.put(s.name().toLowerCase(Locale.ROOT), w[s.ordinal()]);
                }
            }
        }
        return waves.toString();
    }
}
