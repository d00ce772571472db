package io.geminik8s.hub.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.rollout.RolloutEngine.Observation;
import io.geminik8s.hub.rollout.RotationPlan.Decision;
import io.geminik8s.hub.rollout.RotationPlan.Node;
import io.geminik8s.hub.rollout.RotationPlan.Step;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The order of a pair's rotation and its failure paths, without I/O. */
class RotationPlanTest {

    private static final long RESEND = 60_000;

    private static Decision next(List<Step> steps, Map<String, Node> now, long at) {
        return RotationPlan.next(steps, now, at, RESEND);
    }

    private static Map<String, Node> nodes(Node... n) {
        java.util.Map<String, Node> m = new java.util.HashMap<>();
        for (Node x : n) {
            m.put(x.id(), x);
        }
        return m;
    }

    @Test
    void theStandbyIsRotatedFirstWhateverItsNameAndThePrimaryOnlyAfterItIsBackWithItsNewCertificate() {
        Node a = new Node("a", "primary", true, 10, "A1", null);
        Node b = new Node("b", "standby", true, 20, "B1", null);
        List<Step> steps = RotationPlan.order(List.of(a, b));
        assertEquals(List.of("b", "a"), steps.stream().map(Step::node).toList());

        Decision d = next(steps, nodes(a, b), 1000);
        assertEquals("b", d.command().node(), "the standby is commanded first");
        assertEquals("B1", d.command().fromSerial());
        assertEquals(20, d.command().session());

        // renewed, but still on the connection it had when commanded: not done, primary not commanded
        d = next(d.steps(), nodes(a, new Node("b", "standby", true, 20, "B2", "B1")), 2000);
        assertNull(d.command());
        assertFalse(d.done());
        // reconnected, but offline at this tick
        d = next(d.steps(), nodes(a, new Node("b", "standby", false, 21, "B2", "B1")), 2500);
        assertNull(d.command());
        // back online with the new certificate: now the primary
        d = next(d.steps(), nodes(a, new Node("b", "standby", true, 21, "B2", "B1")), 3000);
        assertEquals("a", d.command().node());
        assertEquals(3000, d.steps().get(0).doneAt());
        assertEquals("B2", d.steps().get(0).toSerial());
        // a repeated tick commands no one twice
        Decision again = next(d.steps(), nodes(a, new Node("b", "standby", true, 21, "B2", "B1")), 3500);
        assertNull(again.command());
        d = next(again.steps(), nodes(new Node("a", "primary", true, 11, "A2", "A1"),
                new Node("b", "standby", true, 21, "B2", "B1")), 4000);
        assertTrue(d.done());
    }

    @Test
    void withoutAReportedStandbyTheNodeNotPrimaryGoesFirstAndTiesGoByName() {
        assertEquals(List.of("b", "a"), RotationPlan.order(List.of(new Node("a", "primary", true, 1, "x", null),
                new Node("b", "unknown", true, 1, "y", null))).stream().map(Step::node).toList());
        assertEquals(List.of("a", "b"), RotationPlan.order(List.of(new Node("b", null, true, 1, "x", null),
                new Node("a", "down", true, 1, "y", null))).stream().map(Step::node).toList());
    }

    @Test
    void aNodeThatIsOfflineIsNotCommandedAndACertificateNotRenewedFromTheCommandedSerialDoesNotCount() {
        Node a = new Node("a", "primary", true, 10, "A1", null);
        Node b = new Node("b", "standby", false, 20, "B1", null);
        List<Step> steps = RotationPlan.order(List.of(a, b));
        Decision d = next(steps, nodes(a, b), 1);
        assertNull(d.command(), "the standby is offline: wait, and never skip to the primary");
        d = next(steps, nodes(a, new Node("b", "standby", true, 20, "B1", null)), 2);
        assertEquals("b", d.command().node());
        // a certificate from elsewhere (enrolled again, not renewed from B1) is not this rotation
        d = next(d.steps(), nodes(a, new Node("b", "standby", true, 22, "B9", "B0")), 3);
        assertFalse(d.steps().get(0).isDone());
        assertNull(d.command());
    }

    @Test
    void aSiteWhoseNodeNeverRenewsTimesOutInTheEngineAndPausesTheRollout() {
        Strategy s = new Strategy("1", List.of("100%"), Duration.ZERO, 5, 0.0, Strategy.OnFailure.PAUSE,
                Duration.ofSeconds(30), false, false);
        RolloutEngine e = new RolloutEngine(RotationPlan.ROTATED, s, Map.of("s1", 0, "s2", 0));
        Map<String, Observation> notYet = Map.of("s1", new Observation(true, true, -1, true),
                "s2", new Observation(true, true, -1, true));
        assertEquals(1, e.tick(notYet, 0).size(), "the canary site starts");
        e.tick(notYet, 29_000);
        assertEquals(RolloutEngine.Phase.RUNNING, e.phase());
        e.tick(notYet, 30_000);
        assertEquals(1, e.count(SiteState.TIMED_OUT));
        assertEquals(RolloutEngine.Phase.PAUSED, e.phase());
        assertTrue(e.reason().contains("1 of 1 sites failed in wave 0"), e.reason());
        assertEquals(SiteState.PENDING, e.site(e.site("s1").state() == SiteState.PENDING ? "s1" : "s2").state(),
                "the other site was never started");
    }

    @Test
    void aSiteIsAppliedOnlyWhenEveryNodeIsDone() {
        Strategy s = new Strategy("1", List.of("100%"), Duration.ZERO, 5, 0.0, Strategy.OnFailure.ABORT,
                Duration.ofSeconds(30), false, false);
        RolloutEngine e = new RolloutEngine(RotationPlan.ROTATED, s, Map.of("s1", 0));
        e.tick(Map.of("s1", new Observation(true, true, -1, true)), 0);
        e.tick(Map.of("s1", new Observation(true, true, RotationPlan.ROTATED, true)), 1000);
        e.tick(Map.of("s1", new Observation(true, true, RotationPlan.ROTATED, true)), 2000);
        assertEquals(RolloutEngine.Phase.SUCCEEDED, e.phase());
    }

    @Test
    void aCommandNotFollowedByARenewalIsSentAgainWhileTheNodeIsOnlineAndTheRenewalStillCountsFromTheFirst() {
        Node a = new Node("a", "primary", true, 10, "A1", null);
        Node b = new Node("b", "standby", true, 20, "B1", null);
        Decision d = next(RotationPlan.order(List.of(a, b)), nodes(a, b), 1_000);
        assertEquals("b", d.command().node());
        assertNull(next(d.steps(), nodes(a, b), 1_000 + RESEND - 1).command(), "not before the interval");
        // the node crashed and came back on a new connection without renewing: the command is sent again
        Node back = new Node("b", "standby", true, 21, "B1", null);
        Decision again = next(d.steps(), nodes(a, back), 1_000 + RESEND);
        assertEquals("b", again.command().node(), "sent again");
        assertEquals(20, again.command().session(), "the renewal still counts from the first command's connection");
        assertEquals(1_000 + RESEND, again.command().commandedAt());
        // offline at the next interval: nothing sent
        assertNull(next(again.steps(), nodes(a, new Node("b", "standby", false, 21, "B1", null)),
                1_000 + 2 * RESEND).command());
        // renewed and reconnected (on the connection it had at the resend: newer than the first command's): done
        Decision done = next(again.steps(), nodes(a, new Node("b", "standby", true, 21, "B2", "B1")),
                1_000 + RESEND + 5);
        assertTrue(done.steps().get(0).isDone(), done.toString());
        assertEquals("a", done.command().node(), "then the primary");
    }

    @Test
    void aNodeThatAnswersItCannotRenewFailsItsSiteAtOnceAndNothingMoreIsCommanded() {
        Node a = new Node("a", "primary", true, 10, "A1", null);
        Node b = new Node("b", "standby", true, 20, "B1", null);
        Decision d = next(RotationPlan.order(List.of(a, b)), nodes(a, b), 1_000);
        List<Step> answered = new java.util.ArrayList<>(d.steps());
        answered.set(0, answered.get(0).answered("ok")); // "already renewed"-style answers do not fail it
        Decision ok = next(answered, nodes(a, b), 2_000);
        assertFalse(ok.failed());
        assertNull(ok.command());
        answered.set(0, answered.get(0).answered("failed"));
        Decision failed = next(answered, nodes(a, b), 2_000 + RESEND);
        assertTrue(failed.failed(), "the site fails now");
        assertNull(failed.command(), "neither resent nor the primary commanded");
        assertFalse(failed.done());
        // a resend clears the answer of the send before it
        assertNull(answered.get(0).resent(5).outcome());
        // "renewed, but not reconnected in time": the node did renew, so its reconnect is waited for, not failed
        Decision renewedLate = next(answered, nodes(a, new Node("b", "standby", false, 20, "B2", "B1")), 2_000);
        assertFalse(renewedLate.failed(), "a node that renewed from the commanded serial is not failed");
        assertTrue(next(answered, nodes(a, new Node("b", "standby", true, 21, "B2", "B1")), 2_100).steps().get(0)
                .isDone(), "and done once back on a new connection");
    }
}
