package io.geminik8s.agent.reconcile;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.DesiredState;
import io.geminik8s.protocol.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DesiredReconcilerTest {

    @TempDir
    Path dir;
    private final io.geminik8s.protocol.Codec json = new io.geminik8s.protocol.Codec();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<Long> reported = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    private DesiredReconciler reconciler() {
        return new DesiredReconciler(new DesiredStateStore(dir), json, loop, Clock.systemUTC(),
                new DesiredReconciler.Sink() {
                    @Override
                    public void event(String type, Severity severity, String message, Map<String, String> attrs) {
                        events.add(type + ":" + attrs.get("generation") + ":" + attrs.get("revision"));
                    }

                    @Override
                    public void applied(long generation) {
                        reported.add(generation);
                    }
                });
    }

    private DesiredState desired(long generation, int revision, Long activateNotBefore) {
        return new DesiredState("1.1", "s1", generation, System.currentTimeMillis(),
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("template", "store-standard").put("revision", revision), activateNotBefore);
    }

    @Test
    void appliesNowOnceAndIgnoresTheRetainedCopyAndOlderGenerations() throws Exception {
        DesiredReconciler r = reconciler();
        loop.submit(() -> {
            r.offer(desired(3, 1, null));
            r.offer(desired(3, 1, null));
            r.offer(desired(2, 1, null));
        }).get();
        assertEquals(List.of("desired.applied:3:1"), events);
        assertEquals(List.of(3L), reported);
        assertEquals("{\"template\":\"store-standard\",\"revision\":1}",
                Files.readString(dir.resolve("desired-spec.json")));
        assertEquals(3, reconciler().appliedGeneration(), "the applied generation survives a restart");
    }

    @Test
    void aFutureActivationIsStagedAndAppliedWhenItComes() throws Exception {
        DesiredReconciler r = reconciler();
        long at = System.currentTimeMillis() + 400;
        loop.submit(() -> r.offer(desired(5, 2, at))).get();
        assertEquals(List.of("desired.staged:5:2"), events);
        assertEquals(0, r.appliedGeneration(), "staged is not applied");
        // the applied generation is set just before the event is journaled: wait for both
        await().atMost(Duration.ofSeconds(5)).until(() -> r.appliedGeneration() == 5 && events.size() == 2);
        assertTrue(System.currentTimeMillis() >= at, "not applied before activateNotBefore");
        assertEquals(List.of("desired.staged:5:2", "desired.applied:5:2"), events);
    }

    @Test
    void aNewerGenerationReplacesAStagedOne() throws Exception {
        DesiredReconciler r = reconciler();
        loop.submit(() -> r.offer(desired(5, 2, System.currentTimeMillis() + 60_000))).get();
        loop.submit(() -> r.offer(desired(6, 1, null))).get(); // e.g. the rollout was aborted before the window
        assertEquals(6, r.appliedGeneration());
        assertEquals(List.of("desired.staged:5:2", "desired.applied:6:1"), events);
    }
}
