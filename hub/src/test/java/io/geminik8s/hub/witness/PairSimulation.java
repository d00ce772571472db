package io.geminik8s.hub.witness;

import io.geminik8s.agent.ha.Action;
import io.geminik8s.agent.ha.HaTiming;
import io.geminik8s.agent.ha.PairMachine;

import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Two {@link PairMachine}s and a witness in simulated time (10 ms steps), with links that can be cut and nodes
 * that can die. The witness is given as a function so that the hub's real rules can be plugged in; every action
 * the machines emit is carried out: writing starts on Promote/Unfence and stops on Fence/Rejoin, exactly what the
 * supervisor will do with PostgreSQL and the VIP. {@link #writers()} is checked after every step.
 */
final class PairSimulation {

    static final long STEP = 10;

    final HaTiming timing;
    final Node a;
    final Node b;
    boolean linkAB = true;
    boolean linkAH = true;
    boolean linkBH = true;
    boolean hubUp = true;
    long now;
    long maxWriters;
    /** Steps in which a writer ran without its synchronous standby while the hub still counted that standby eligible. */
    long asyncWhileEligible;
    java.util.function.BooleanSupplier standbyEligibleAtHub = () -> false;
    final BiFunction<WitnessRequest, Long, WitnessReply> witness;

    final class Node {
        final String name;
        PairMachine machine;
        boolean alive = true;
        boolean writing;
        long nextHeartbeat;
        long writingSince = -1;
        boolean syncPeer = true;

        Node(String name, PairMachine machine, boolean writing) {
            this.name = name;
            this.machine = machine;
            this.writing = writing;
        }

        Node other() {
            return this == a ? b : a;
        }

        boolean hubLink() {
            return hubUp && (this == a ? linkAH : linkBH);
        }
    }

    PairSimulation(HaTiming timing, BiFunction<WitnessRequest, Long, WitnessReply> witness) {
        this.timing = timing;
        this.witness = witness;
        this.a = new Node("a", PairMachine.primary("b", 1, 0, timing, 0), true);
        this.b = new Node("b", PairMachine.standby("a", 1, timing, 0), false);
    }

    void run(long ms) {
        for (long end = now + ms; now < end; now += STEP) {
            for (Node n : List.of(a, b)) {
                if (!n.alive) {
                    continue;
                }
                apply(n, n.machine.tick(now));
                PairMachine.State s = n.machine.state();
                if ((s == PairMachine.State.PRIMARY || s == PairMachine.State.ALONE) && now >= n.nextHeartbeat) {
                    n.nextHeartbeat = now + timing.heartbeatMs();
                    Node o = n.other();
                    if (linkAB && o.alive) {
                        apply(o, o.machine.peerHeartbeat(n.machine.epoch(), now, now));
                    }
                }
            }
            for (Node n : List.of(a, b)) {
                PairMachine.State s = n.machine.state();
                if (n.alive && (s == PairMachine.State.PRIMARY || s == PairMachine.State.ALONE)) {
                    Node o = n.other();
                    boolean streaming = linkAB && o.alive && o.machine.state() == PairMachine.State.STANDBY
                            && o.machine.epoch() == n.machine.epoch();
                    apply(n, n.machine.replication(streaming, now));
                }
                if (n.alive && n.writing && !n.syncPeer && standbyEligibleAtHub.getAsBoolean()) {
                    asyncWhileEligible++;
                }
            }
            long writers = (a.alive && a.writing ? 1 : 0) + (b.alive && b.writing ? 1 : 0);
            maxWriters = Math.max(maxWriters, writers);
        }
    }

    private void apply(Node n, List<Action> actions) {
        Deque<Action> queue = new ArrayDeque<>(actions);
        while (!queue.isEmpty()) {
            Action act = queue.poll();
            if (act instanceof Action.UseSyncStandby) {
                n.syncPeer = true;
            } else if (act instanceof Action.DropSyncStandby) {
                n.syncPeer = false;
            } else if (act instanceof Action.Fence) {
                n.writing = false;
            } else if (act instanceof Action.Rejoin) {
                n.writing = false;
                queue.addAll(n.machine.rejoined(true, now)); // a rewind is instant here
            } else if (act instanceof Action.Promote || act instanceof Action.Unfence) {
                if (!n.writing) {
                    n.writingSince = now;
                }
                n.writing = true;
            } else if (act instanceof Action.AckPeer ack) {
                Node o = n.other();
                if (linkAB && o.alive) {
                    apply(o, o.machine.peerAck(ack.epoch(), ack.heartbeatSentAt(), now));
                }
            } else if (n.hubLink()) {
                WitnessRequest r = request(n, act);
                queue.addAll(n.machine.hubReply(r.op(), witness.apply(r, now), now, now));
            }
        }
    }

    private static WitnessRequest request(Node n, Action act) {
        if (act instanceof Action.RenewWithHub r) {
            return new WitnessRequest("1.0", "x", "s1", n.name, 0L, WitnessRequest.Op.RENEW, r.epoch(), null, null);
        }
        if (act instanceof Action.ReportPeerLost r) {
            return new WitnessRequest("1.0", "x", "s1", n.name, 0L, WitnessRequest.Op.PEER_LOST, r.epoch(), r.peer(),
                    null);
        }
        if (act instanceof Action.ReportPeerOk r) {
            return new WitnessRequest("1.0", "x", "s1", n.name, 0L, WitnessRequest.Op.PEER_OK, r.epoch(), r.peer(),
                    null);
        }
        Action.AskPromotion p = (Action.AskPromotion) act;
        return new WitnessRequest("1.0", "x", "s1", n.name, 0L, WitnessRequest.Op.PROMOTE, p.epoch(), null,
                p.sinceLastAckMs());
    }

    Node writer() {
        return a.alive && a.writing ? a : b.alive && b.writing ? b : null;
    }
}
