package io.geminik8s.hub.rollout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * One rollout's decisions, without I/O (like the agent's PairMachine): every call carries the time and returns the
 * effects to carry out (publish a site's new or previous revision). Sites are ordered by a stable hash of their id
 * and cut into waves ({@link Strategy#waveSizes}); a wave opens when every earlier wave is finished (deferred sites
 * do not hold it up) and the operator approved it if asked to. Counts per state are kept incrementally, so status is
 * O(1) whatever the fleet size.
 */
public final class RolloutEngine {

    public enum Phase { RUNNING, PAUSED, ABORTED, SUCCEEDED }

    /**
     * What the hub knows of a site now: reachable, inside its window, the revision it runs, healthy, and when its
     * next window opens if it is outside one and the rollout pre-stages ({@code prestageAt} > 0: the site may be
     * started now with "activate not before" that time), and whether it reported it cannot get there ({@code failed}:
     * it fails at once instead of at its timeout), and {@code reason}: why it is not healthy or failed (the health
     * proof's words, kept as the site's reason), null when it is.
     */
    public record Observation(boolean online, boolean inWindow, int runningRevision, boolean healthy,
                              long prestageAt, boolean failed, String reason) {
        public Observation(boolean online, boolean inWindow, int runningRevision, boolean healthy, long prestageAt,
                           boolean failed) {
            this(online, inWindow, runningRevision, healthy, prestageAt, failed, null);
        }

        public Observation(boolean online, boolean inWindow, int runningRevision, boolean healthy) {
            this(online, inWindow, runningRevision, healthy, 0, false);
        }

        public Observation(boolean online, boolean inWindow, int runningRevision, boolean healthy, long prestageAt) {
            this(online, inWindow, runningRevision, healthy, prestageAt, false);
        }
    }

    /**
     * A site's persisted place; {@code startedAt}/{@code healthySince} are -1 when unset; {@code reason}: why it is
     * not proven yet, or why it failed (null when none).
     */
    public record SiteRow(String id, int wave, SiteState state, int previousRevision, long startedAt,
                          long healthySince, String reason) {
        public SiteRow(String id, int wave, SiteState state, int previousRevision, long startedAt,
                       long healthySince) {
            this(id, wave, state, previousRevision, startedAt, healthySince, null);
        }
    }

    /** The rollout's persisted decisions besides its sites. */
    public record Header(Phase phase, String reason, int openWave, int approvedWave, int gateAccepted, int waves) {
    }

    public sealed interface Effect {
        /** Publish the target revision to the site; {@code activateAt} > 0: applied from then on (pre-staged). */
        record Start(String site, int revision, long activateAt) implements Effect {
        }

        /** Publish the site's previous revision again (abort). */
        record RollBack(String site, int revision) implements Effect {
        }
    }

    /** A site's place in the rollout. */
    public static final class Site {
        final String id;
        final int previousRevision;
        int wave;
        SiteState state = SiteState.PENDING;
        long startedAt = -1;
        long healthySince = -1;
        String reason;

        Site(String id, int previousRevision) {
            this.id = id;
            this.previousRevision = previousRevision;
        }

        public SiteState state() {
            return state;
        }

        public int wave() {
            return wave;
        }

        public String reason() {
            return reason;
        }
    }

    private final int toRevision;
    private final Strategy strategy;
    private final Map<String, Site> sites = new LinkedHashMap<>();
    private final Set<Site> dirty = new LinkedHashSet<>();
    private int[][] waveStates;
    private final EnumMap<SiteState, Integer> counts = new EnumMap<>(SiteState.class);
    private final List<Integer> waveEnds;
    private int[] waveSize;
    private int[] waveFailed;
    private int[] waveBusy; // sites of the wave not finished and not deferred
    private int waveGateAccepted = -1;
    private Phase phase = Phase.RUNNING;
    private String reason;
    private int openWave;
    private int approvedWave;

    /** {@code current}: each site's revision now (what an abort returns it to). */
    public RolloutEngine(int toRevision, Strategy strategy, Map<String, Integer> current) {
        this.toRevision = toRevision;
        this.strategy = strategy;
        List<String> ordered = new ArrayList<>(current.keySet());
        ordered.sort(Comparator.comparingInt((String id) -> Integer.reverse(id.hashCode())).thenComparing(id -> id));
        this.waveEnds = new ArrayList<>(ordered.isEmpty() ? List.of() : strategy.waveSizes(ordered.size()));
        this.waveSize = new int[waveEnds.size()];
        this.waveFailed = new int[waveEnds.size()];
        this.waveBusy = new int[waveEnds.size()];
        this.waveStates = new int[waveEnds.size()][SiteState.values().length];
        for (SiteState s : SiteState.values()) {
            counts.put(s, 0);
        }
        for (int i = 0; i < ordered.size(); i++) {
            Site s = new Site(ordered.get(i), current.get(ordered.get(i)));
            while (i >= waveEnds.get(s.wave)) {
                s.wave++;
            }
            add(s);
        }
        approvedWave = strategy.pauseAfterEachWave() ? 0 : Integer.MAX_VALUE;
    }

    /** The engine as it was persisted (a hub restart, or another replica taking over). */
    public static RolloutEngine restore(int toRevision, Strategy strategy, Header h, List<SiteRow> rows) {
        RolloutEngine e = new RolloutEngine(toRevision, strategy, Map.of());
        e.waveEnds.clear();
        for (int w = 0; w < h.waves(); w++) {
            e.waveEnds.add(Integer.MAX_VALUE); // only the number of waves matters once sites are placed
        }
        e.waveSize = new int[h.waves()];
        e.waveFailed = new int[h.waves()];
        e.waveBusy = new int[h.waves()];
        e.waveStates = new int[h.waves()][SiteState.values().length];
        for (SiteRow r : h.waves() == 0 ? List.<SiteRow>of() : rows) {
            Site s = new Site(r.id(), r.previousRevision());
            s.wave = r.wave();
            s.startedAt = r.startedAt();
            s.healthySince = r.healthySince();
            s.reason = r.reason();
            e.add(s);
            e.move(s, r.state());
        }
        e.dirty.clear();
        e.phase = h.phase();
        e.reason = h.reason();
        e.openWave = h.openWave();
        e.approvedWave = h.approvedWave();
        e.waveGateAccepted = h.gateAccepted();
        return e;
    }

    public Header header() {
        return new Header(phase, reason, openWave, approvedWave, waveGateAccepted, waveEnds.size());
    }

    /** Sites changed since the last call, to persist. */
    public List<SiteRow> drainDirty() {
        List<SiteRow> out = new ArrayList<>(dirty.size());
        for (Site s : dirty) {
            out.add(new SiteRow(s.id, s.wave, s.state, s.previousRevision, s.startedAt, s.healthySince, s.reason));
        }
        dirty.clear();
        return out;
    }

    /** Per wave, the number of sites in each state (index = {@link SiteState#ordinal()}); kept incrementally. */
    public int[][] waveStateCounts() {
        int[][] copy = new int[waveStates.length][];
        for (int w = 0; w < waveStates.length; w++) {
            copy[w] = waveStates[w].clone();
        }
        return copy;
    }

    public int toRevision() {
        return toRevision;
    }

    public Phase phase() {
        return phase;
    }

    public String reason() {
        return reason;
    }

    public int openWave() {
        return openWave;
    }

    public int waves() {
        return waveEnds.size();
    }

    public int count(SiteState s) {
        return counts.get(s);
    }

    public Site site(String id) {
        return sites.get(id);
    }

    /** A site that matched the selector after the rollout started: it joins the open wave (if the strategy says so). */
    public boolean join(String id, int currentRevision) {
        if (!strategy.joinLateSites() || sites.containsKey(id) || phase == Phase.ABORTED) {
            return false;
        }
        Site s = new Site(id, currentRevision);
        s.wave = openWave;
        add(s);
        if (phase == Phase.SUCCEEDED) {
            phase = Phase.RUNNING;
        }
        return true;
    }

    public void pause(String why) {
        if (phase == Phase.RUNNING) {
            phase = Phase.PAUSED;
            reason = why;
        }
    }

    public void resume() {
        if (phase == Phase.PAUSED) {
            phase = Phase.RUNNING;
            reason = null;
        }
    }

    /** With pauseAfterEachWave: lets the next wave open. */
    public void approveNextWave() {
        approvedWave = Math.max(approvedWave, openWave + 1);
        resume();
    }

    /** Rolls every touched site back to its previous revision; untouched sites stay as they are. */
    public List<Effect> abort(String why) {
        List<Effect> out = new ArrayList<>();
        if (phase == Phase.ABORTED) {
            return out;
        }
        for (Site s : sites.values()) {
            if (s.startedAt >= 0 && s.state != SiteState.ROLLED_BACK) {
                move(s, SiteState.ROLLED_BACK);
                out.add(new Effect.RollBack(s.id, s.previousRevision));
            }
        }
        phase = Phase.ABORTED;
        reason = why;
        return out;
    }

    public List<Effect> tick(Map<String, Observation> observed, long now) {
        if (phase == Phase.ABORTED) {
            return List.of();
        }
        List<Effect> out = new ArrayList<>();
        for (Site s : sites.values()) {
            Observation o = observed.get(s.id);
            if (o != null) {
                verify(s, o, now);
            }
        }
        if (gate(out)) {
            return out;
        }
        advanceWaves();
        if (phase == Phase.RUNNING) {
            for (Site s : sites.values()) {
                if (count(SiteState.IN_PROGRESS) + count(SiteState.VERIFYING) >= strategy.maxInFlight()) {
                    break;
                }
                if (s.wave <= openWave && (s.state == SiteState.PENDING || s.state == SiteState.DEFERRED)) {
                    Observation o = observed.get(s.id);
                    if (o != null && o.online() && o.inWindow()) {
                        s.startedAt = now;
                        move(s, SiteState.IN_PROGRESS);
                        out.add(new Effect.Start(s.id, toRevision, 0));
                    } else if (o != null && o.online() && o.prestageAt() > now) {
                        s.startedAt = o.prestageAt(); // its timeout runs from the activation
                        move(s, SiteState.IN_PROGRESS);
                        out.add(new Effect.Start(s.id, toRevision, o.prestageAt()));
                    } else if (o != null && s.state != SiteState.DEFERRED) {
                        move(s, SiteState.DEFERRED); // not observed this tick (its wave just opened): decide next tick
                    }
                }
            }
        }
        if (phase == Phase.RUNNING && count(SiteState.PENDING) + count(SiteState.DEFERRED)
                + count(SiteState.IN_PROGRESS) + count(SiteState.VERIFYING) == 0) {
            phase = Phase.SUCCEEDED;
        }
        return out;
    }

    /**
     * The reason is kept while a site verifies and when it fails (a finished site keeps the one it finished with);
     * not while it is in progress, so that a wave's starts cost no second write per site.
     */
    private void verify(Site s, Observation o, long now) {
        if (o.failed() && (s.state == SiteState.IN_PROGRESS || s.state == SiteState.VERIFYING)) {
            reason(s, o.reason());
            move(s, SiteState.FAILED); // the site said it cannot get there: no need to wait for its timeout
            return;
        }
        if (s.state == SiteState.IN_PROGRESS) {
            if (o.runningRevision() == toRevision) {
                move(s, SiteState.VERIFYING);
            } else if (now - s.startedAt >= strategy.siteTimeout().toMillis()) {
                reason(s, o.reason());
                move(s, SiteState.TIMED_OUT);
                return;
            }
            if (s.state == SiteState.IN_PROGRESS) {
                return;
            }
        }
        if (s.state == SiteState.VERIFYING) {
            reason(s, o.reason());
            if (o.online() && o.healthy() && o.runningRevision() == toRevision) {
                if (s.healthySince < 0) {
                    s.healthySince = now;
                    dirty.add(s);
                }
                if (now - s.healthySince >= strategy.soak().toMillis()) {
                    move(s, SiteState.SUCCEEDED);
                }
            } else {
                if (s.healthySince >= 0) {
                    s.healthySince = -1;
                    dirty.add(s);
                }
                if (now - s.startedAt >= strategy.siteTimeout().toMillis()) {
                    move(s, SiteState.FAILED);
                }
            }
        }
    }

    private void reason(Site s, String why) {
        if (!java.util.Objects.equals(s.reason, why)) {
            s.reason = why;
            dirty.add(s);
        }
    }

    /** Stops the rollout when the failures of a wave exceed the threshold (once per wave: a resume accepts them). */
    private boolean gate(List<Effect> out) {
        if (phase != Phase.RUNNING) {
            return false;
        }
        for (int w = waveGateAccepted + 1; w <= openWave && w < waveEnds.size(); w++) {
            if (waveSize[w] > 0 && waveFailed[w] > Math.floor(strategy.failureThreshold() * waveSize[w])) {
                String why = waveFailed[w] + " of " + waveSize[w] + " sites failed in wave " + w
                        + (w == 0 ? " (canary)" : "") + ", above the threshold of " + strategy.failureThreshold();
                waveGateAccepted = w;
                if (strategy.onFailure() == Strategy.OnFailure.ABORT) {
                    out.addAll(abort(why));
                } else {
                    pause(why);
                }
                return true;
            }
        }
        return false;
    }

    private void advanceWaves() {
        while (openWave + 1 < waveEnds.size() && waveBusy[openWave] == 0) {
            if (openWave + 1 > approvedWave) {
                pause("wave " + openWave + " done: waiting for approval of wave " + (openWave + 1));
                return;
            }
            openWave++;
        }
    }

    private void add(Site s) {
        sites.put(s.id, s);
        counts.merge(SiteState.PENDING, 1, Integer::sum);
        waveSize[s.wave]++;
        waveBusy[s.wave]++;
        waveStates[s.wave][SiteState.PENDING.ordinal()]++;
        dirty.add(s);
    }

    private void move(Site s, SiteState to) {
        waveBusy[s.wave] += busy(to) - busy(s.state);
        waveFailed[s.wave] += (to.failed() ? 1 : 0) - (s.state.failed() ? 1 : 0);
        counts.merge(s.state, -1, Integer::sum);
        counts.merge(to, 1, Integer::sum);
        waveStates[s.wave][s.state.ordinal()]--;
        waveStates[s.wave][to.ordinal()]++;
        s.state = to;
        dirty.add(s);
    }

    private static int busy(SiteState s) {
        return s.finished() || s == SiteState.DEFERRED ? 0 : 1;
    }
}
