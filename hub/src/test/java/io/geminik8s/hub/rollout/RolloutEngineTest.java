package io.geminik8s.hub.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.rollout.RolloutEngine.Effect;
import io.geminik8s.hub.rollout.RolloutEngine.Observation;
import io.geminik8s.hub.rollout.RolloutEngine.Phase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rollout engine against a simulated fleet (1 s steps): sites apply what they are sent 10 s later and are
 * healthy unless told otherwise.
 */
class RolloutEngineTest {

    private static Strategy strategy(Strategy.OnFailure onFailure, boolean pauseEachWave) {
        return new Strategy("1", List.of("10%", "50%", "100%"), Duration.ofSeconds(30), 5, 0.1, onFailure,
                Duration.ofMinutes(5), pauseEachWave, true);
    }

    private static final class Fleet {
        final Map<String, Integer> running = new LinkedHashMap<>();
        final Map<String, Long> applyAt = new HashMap<>();
        final Map<String, Integer> target = new HashMap<>();
        final Set<String> offline = new HashSet<>();
        final Set<String> broken = new HashSet<>(); // apply, then stay unhealthy
        final Set<String> silent = new HashSet<>(); // never apply (went away after starting)
        final Set<String> refusing = new HashSet<>(); // say they cannot get there
        final List<Effect> effects = new ArrayList<>();
        long now;

        Fleet(int n) {
            for (int i = 0; i < n; i++) {
                running.put(String.format("s%03d", i), 1);
            }
        }

        Map<String, Observation> observe() {
            Map<String, Observation> o = new HashMap<>();
            running.forEach((site, rev) -> {
                Long at = applyAt.get(site);
                if (at != null && now >= at && !silent.contains(site)) {
                    running.put(site, target.get(site));
                    applyAt.remove(site);
                }
                o.put(site, new Observation(!offline.contains(site), true, running.get(site), !broken.contains(site),
                        0, refusing.contains(site)));
            });
            return o;
        }

        void run(RolloutEngine e, long seconds) {
            for (long t = 0; t < seconds; t++) {
                now += 1000;
                for (Effect ef : e.tick(observe(), now)) {
                    apply(ef);
                }
            }
        }

        void apply(Effect ef) {
            effects.add(ef);
            String site = ef instanceof Effect.Start s ? s.site() : ((Effect.RollBack) ef).site();
            int rev = ef instanceof Effect.Start s ? s.revision() : ((Effect.RollBack) ef).revision();
            target.put(site, rev);
            applyAt.put(site, now + 10_000);
        }

        long started() {
            return effects.stream().filter(x -> x instanceof Effect.Start).count();
        }
    }

    @Test
    void canaryThenWavesThenSuccessNeverMoreThanMaxInFlight() {
        Fleet f = new Fleet(40);
        RolloutEngine e = new RolloutEngine(2, strategy(Strategy.OnFailure.PAUSE, false), f.running);
        assertEquals(List.of(1, 4, 20, 40), strategy(Strategy.OnFailure.PAUSE, false).waveSizes(40));
        int maxInFlight = 0;
        for (int t = 0; t < 2000 && e.phase() == Phase.RUNNING; t++) {
            f.run(e, 1);
            maxInFlight = Math.max(maxInFlight, e.count(SiteState.IN_PROGRESS) + e.count(SiteState.VERIFYING));
            if (t == 5) {
                assertEquals(1, f.started(), "only the canary runs first");
            }
        }
        assertEquals(Phase.SUCCEEDED, e.phase());
        assertEquals(40, e.count(SiteState.SUCCEEDED));
        assertEquals(5, maxInFlight, "maxInFlight is a ceiling, and reached");
        assertTrue(f.running.values().stream().allMatch(r -> r == 2));
    }

    @Test
    void aFailingCanaryPausesBeforeAnyOtherSiteIsTouched() {
        Fleet f = new Fleet(40);
        RolloutEngine e = new RolloutEngine(2, strategy(Strategy.OnFailure.PAUSE, false), f.running);
        f.run(e, 1);
        String canary = ((Effect.Start) f.effects.get(0)).site();
        f.broken.add(canary);
        f.run(e, 400);
        assertEquals(Phase.PAUSED, e.phase());
        assertTrue(e.reason().contains("wave 0 (canary)"), e.reason());
        assertEquals(SiteState.FAILED, e.site(canary).state(), "it applied but never proved healthy");
        assertEquals(1, f.started(), "nobody else was touched");
        e.resume(); // the operator looked and accepts the canary's failure
        f.run(e, 2000);
        assertEquals(Phase.SUCCEEDED, e.phase());
        assertEquals(39, e.count(SiteState.SUCCEEDED));
    }

    @Test
    void aSiteThatSaysItCannotGetThereFailsAtOnceNotAtItsTimeout() {
        Fleet f = new Fleet(40);
        RolloutEngine e = new RolloutEngine(2, strategy(Strategy.OnFailure.PAUSE, false), f.running);
        f.run(e, 1);
        String canary = ((Effect.Start) f.effects.get(0)).site();
        f.silent.add(canary); // it will never apply: without its word, only the 5 min timeout would tell
        f.run(e, 3);
        assertEquals(SiteState.IN_PROGRESS, e.site(canary).state());
        f.refusing.add(canary);
        f.run(e, 1);
        assertEquals(SiteState.FAILED, e.site(canary).state(), "failed on the tick after its refusal");
        assertEquals(Phase.PAUSED, e.phase());
        assertEquals(1, f.started(), "nobody else was touched");
    }

    @Test
    void abortRollsBackEveryTouchedSiteAndNoOther() {
        Fleet f = new Fleet(40);
        Strategy s = new Strategy("1", List.of("10%", "100%"), Duration.ofSeconds(30), 5, 0.0,
                Strategy.OnFailure.ABORT, Duration.ofMinutes(5), false, true);
        RolloutEngine e = new RolloutEngine(2, s, f.running);
        f.run(e, 60); // the canary succeeds, wave 1 starts
        Set<String> wave1 = new HashSet<>();
        f.effects.stream().skip(1).forEach(x -> wave1.add(((Effect.Start) x).site()));
        assertEquals(3, wave1.size());
        f.broken.add(wave1.iterator().next());
        f.run(e, 400);
        assertEquals(Phase.ABORTED, e.phase());
        assertEquals(4, f.effects.stream().filter(x -> x instanceof Effect.RollBack).count(),
                "the canary and the three of wave 1");
        f.run(e, 30);
        assertEquals(40, f.running.values().stream().filter(r -> r == 1).count(), "everyone back on revision 1");
    }

    @Test
    void offlineSitesAreDeferredNotFailedAndFinishWhenTheyReturnASilentOneTimesOut() {
        Fleet f = new Fleet(20);
        Strategy s = new Strategy("1", List.of("100%"), Duration.ofSeconds(30), 20, 0.5, Strategy.OnFailure.PAUSE,
                Duration.ofMinutes(2), false, true);
        RolloutEngine e = new RolloutEngine(2, s, f.running);
        List<String> ids = new ArrayList<>(f.running.keySet());
        f.run(e, 1);
        String canary = ((Effect.Start) f.effects.get(0)).site();
        List<String> away = ids.stream().filter(x -> !x.equals(canary)).limit(5).toList();
        f.offline.addAll(away);
        String goesSilent = ids.stream().filter(x -> !x.equals(canary) && !away.contains(x)).findFirst().get();
        f.silent.add(goesSilent);
        f.run(e, 300);
        assertEquals(5, e.count(SiteState.DEFERRED), "offline: deferred, not failed");
        assertEquals(1, e.count(SiteState.TIMED_OUT), "started, never reported back: timed out");
        assertEquals(Phase.RUNNING, e.phase(), "waiting for the deferred sites, not stalled by them");
        f.offline.clear();
        f.run(e, 300);
        assertEquals(Phase.SUCCEEDED, e.phase());
        assertEquals(19, e.count(SiteState.SUCCEEDED));
    }

    @Test
    void pauseAfterEachWaveWaitsForApprovalAndLateSitesJoin() {
        Fleet f = new Fleet(40);
        RolloutEngine e = new RolloutEngine(2, strategy(Strategy.OnFailure.PAUSE, true), f.running);
        f.run(e, 300);
        assertEquals(Phase.PAUSED, e.phase());
        assertTrue(e.reason().startsWith("wave 0 done: waiting for approval of wave 1"), e.reason());
        assertEquals(1, f.started());
        e.approveNextWave();
        f.running.put("late-1", 1);
        assertTrue(e.join("late-1", 1));
        f.run(e, 300);
        assertEquals(Phase.PAUSED, e.phase());
        assertEquals(5, f.started(), "wave 1 (3 more sites) plus the late site");
        for (int i = 0; i < 5 && e.phase() != Phase.SUCCEEDED; i++) {
            e.approveNextWave();
            f.run(e, 600);
        }
        assertEquals(Phase.SUCCEEDED, e.phase());
        assertEquals(41, e.count(SiteState.SUCCEEDED));
    }

    @Test
    void aSiteKeepsTheReasonItIsNotProvenForAndTheOneItFailedWith() {
        Strategy one = new Strategy("100%", List.of("100%"), Duration.ofSeconds(2), 5, 0, Strategy.OnFailure.PAUSE,
                Duration.ofMinutes(5), false, true);
        RolloutEngine e = new RolloutEngine(2, one, Map.of("s1", 1, "s2", 1));
        e.tick(Map.of("s1", new Observation(true, true, 1, true, 0, false, null),
                "s2", new Observation(true, true, 1, true, 0, false, null)), 1_000);
        e.drainDirty();
        e.tick(Map.of("s1", new Observation(true, true, 1, false, 0, false, "node a has not applied generation 2"),
                "s2", new Observation(true, true, 1, false, 0, false, "node a has not applied generation 2")), 1_500);
        assertEquals(null, e.site("s1").reason(), "not kept while in progress");
        assertTrue(e.drainDirty().isEmpty(), "no write for it");
        e.tick(Map.of("s1", new Observation(true, true, 2, false, 0, false, "node b reports no K3s version"),
                "s2", new Observation(true, true, 2, true, 0, false, null)), 2_000);
        assertEquals("node b reports no K3s version", e.site("s1").reason());
        assertTrue(e.drainDirty().stream().anyMatch(r -> r.id().equals("s1")
                && "node b reports no K3s version".equals(r.reason())), "a new reason is persisted");
        e.tick(Map.of("s1", new Observation(true, true, 2, false, 0, true, "node b failed the upgrade to generation 2"),
                "s2", new Observation(true, true, 2, true, 0, false, null)), 3_000);
        assertEquals(SiteState.FAILED, e.site("s1").state(), "failed at once, long before the 5 min timeout");
        assertEquals(Phase.PAUSED, e.phase(), "0 failures allowed: " + e.reason());
        e.tick(Map.of("s1", new Observation(true, true, 2, true, 0, false, null),
                "s2", new Observation(true, true, 2, true, 0, false, null)), 9_000);
        assertEquals("node b failed the upgrade to generation 2", e.site("s1").reason(), "a finished site keeps it");
        assertEquals(null, e.site("s2").reason());
    }
}
