package io.geminik8s.agent.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.protocol.Artifact;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Severity;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Pre-stages the artifacts a desired state names ({@code spec.artifacts[]}) as soon as the generation arrives —
 * before its maintenance window opens — on its own thread, never the agent's loop. Journals {@code artifact.staged}
 * or {@code artifact.refused} (a refused artifact is never installed); a fetch that fails is retried after
 * {@code retry} (it resumes) as long as that generation is the newest.
 */
public final class ArtifactStager implements AutoCloseable {

    /** Where the stager reports (the agent's journal). */
    public interface Events {
        void event(String type, Severity severity, String message, Map<String, String> attrs);
    }

    private final ArtifactStore store;
    private final Codec json;
    private final Events events;
    private final Duration retry;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gk8s-artifacts");
        t.setDaemon(true);
        return t;
    });
    private volatile long newest;

    public ArtifactStager(ArtifactStore store, Codec json, Events events, Duration retry) {
        this.store = store;
        this.json = json;
        this.events = events;
        this.retry = retry;
    }

    /** A desired state's generation arrived (staged or applied): fetch what it names. */
    public void offer(long generation, JsonNode spec) {
        if (generation <= newest) {
            return;
        }
        newest = generation;
        List<Artifact> wanted = new ArrayList<>();
        for (JsonNode a : spec.path("artifacts")) {
            try {
                wanted.add(json.bind(a, Artifact.class));
            } catch (IllegalArgumentException e) {
                events.event("artifact.refused", Severity.CRITICAL, "generation " + generation
                        + ": unreadable artifact reference: " + e.getMessage(), Map.of());
            }
        }
        for (Artifact a : wanted) {
            worker.execute(() -> stage(generation, a));
        }
    }

    private void stage(long generation, Artifact a) {
        if (generation != newest) {
            return; // a newer desired state replaced this one
        }
        Map<String, String> attrs = Map.of("artifact", String.valueOf(a.name()), "version", String.valueOf(a.version()),
                "generation", Long.toString(generation));
        try {
            store.stage(a);
            events.event("artifact.staged", Severity.INFO, a.name() + " " + a.version() + " fetched and checked"
                    + " (signature, sha256 " + a.sha256() + ")", attrs);
        } catch (ArtifactStore.Refused e) {
            events.event("artifact.refused", Severity.CRITICAL, a.name() + " " + a.version() + " refused, nothing"
                    + " installed: " + e.getMessage(), attrs);
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            events.event("artifact.fetch-failed", Severity.WARNING, a.name() + " " + a.version() + ": " + why
                    + "; retried in " + retry.toSeconds() + " s (resumes)", attrs);
            worker.schedule(() -> stage(generation, a), retry.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
