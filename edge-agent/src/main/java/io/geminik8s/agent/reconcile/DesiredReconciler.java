package io.geminik8s.agent.reconcile;

import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.DesiredState;
import io.geminik8s.protocol.Severity;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Takes desired state from the hub. A generation newer than the applied one is applied now, or — when it carries
 * {@code activateNotBefore} in the future — staged (journaled {@code desired.staged}, downloads may start) and applied
 * when that time comes. A newer generation replaces a staged one. Applied = the spec and generation are stored
 * durably, {@code desired.applied} is journaled and health reports the generation. Runs on the agent's loop.
 */
public final class DesiredReconciler {

    /** What the agent does for the reconciler: journal an event, report the applied generation at once. */
    public interface Sink {
        void event(String type, Severity severity, String message, Map<String, String> attrs);

        void applied(long generation);

        /** A newer generation arrived, staged or applied at once: what it needs may be fetched now. */
        default void arrived(DesiredState d) {
        }
    }

    private final DesiredStateStore store;
    private final Codec json;
    private final ScheduledExecutorService loop;
    private final Clock clock;
    private final Sink sink;
    private DesiredState staged;
    private ScheduledFuture<?> activation;

    public DesiredReconciler(DesiredStateStore store, Codec json, ScheduledExecutorService loop, Clock clock,
                             Sink sink) {
        this.store = store;
        this.json = json;
        this.loop = loop;
        this.clock = clock;
        this.sink = sink;
    }

    public long appliedGeneration() {
        return store.generation();
    }

    public void offer(DesiredState d) {
        if (d.generation() <= store.generation() || (staged != null && d.generation() <= staged.generation())) {
            return; // the retained message again, or older
        }
        if (activation != null) {
            activation.cancel(false);
            activation = null;
        }
        staged = null;
        sink.arrived(d);
        long now = clock.millis();
        if (d.activateNotBefore() != null && d.activateNotBefore() > now) {
            staged = d;
            sink.event("desired.staged", Severity.INFO, "desired state generation " + d.generation()
                    + " staged, applied from " + Instant.ofEpochMilli(d.activateNotBefore()), attrs(d));
            activation = loop.schedule(() -> activate(d), d.activateNotBefore() - now, TimeUnit.MILLISECONDS);
        } else {
            apply(d);
        }
    }

    private void activate(DesiredState d) {
        if (staged == d) {
            staged = null;
            activation = null;
            apply(d);
        }
    }

    private void apply(DesiredState d) {
        try {
            if (store.apply(d, json.bytesOf(d.spec()))) {
                sink.event("desired.applied", Severity.INFO, "desired state generation " + d.generation()
                        + " applied", attrs(d));
                sink.applied(d.generation());
            }
        } catch (IllegalArgumentException e) {
            sink.event("desired.failed", Severity.CRITICAL, "desired state generation " + d.generation()
                    + " not applied: " + e.getMessage(), attrs(d));
        }
    }

    private static Map<String, String> attrs(DesiredState d) {
        return Map.of("generation", Long.toString(d.generation()),
                "template", d.spec().path("template").asText(""),
                "revision", d.spec().path("revision").asText(""));
    }
}
