package io.geminik8s.hub.rollout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The pair-aware part of a certificate rotation, without I/O: in which order a site's nodes renew (standby first,
 * the primary last) and, at each tick, what to do next. The {@link RolloutEngine} decides which sites start and when
 * a site has failed (its timeout) exactly as for a template rollout; a site counts as applied once every node is done.
 * A node is done when its newest certificate was renewed from the serial it was commanded to replace and it is online
 * on a connection made after the command (the reconnect that presents the new certificate).
 */
public final class RotationPlan {

    /** What the hub knows of a node now: role from its health, its newest unrevoked certificate, and where from. */
    public record Node(String id, String role, boolean online, long session, String serial, String renewedFrom) {
    }

    /**
     * A node's persisted place in its site's rotation; {@code commandedAt} -1 until commanded (the latest send),
     * {@code session} the node's connection when first commanded, {@code outcome} the node's answer to the command
     * ({@code null} until one arrived after the latest send).
     */
    public record Step(String node, int ord, String role, String fromSerial, long session, long commandedAt,
                       String toSerial, long doneAt, String outcome) {
        public Step(String node, int ord, String role, String fromSerial, long session, long commandedAt,
                    String toSerial, long doneAt) {
            this(node, ord, role, fromSerial, session, commandedAt, toSerial, doneAt, null);
        }

        Step commanded(long sessionNow, long now) {
            return new Step(node, ord, role, fromSerial, sessionNow, now, toSerial, doneAt, null);
        }

        /** Sent again: the renewal still counts from the first command's connection. */
        Step resent(long now) {
            return new Step(node, ord, role, fromSerial, session, now, toSerial, doneAt, null);
        }

        Step done(String serial, long now) {
            return new Step(node, ord, role, fromSerial, session, commandedAt, serial, now, outcome);
        }

        Step answered(String answer) {
            return new Step(node, ord, role, fromSerial, session, commandedAt, toSerial, doneAt, answer);
        }

        /** The node said it could not renew (its answer to the latest send). */
        public boolean refused() {
            return outcome != null && !"ok".equals(outcome);
        }

        public boolean isDone() {
            return doneAt >= 0;
        }
    }

    /**
     * What a tick decided for one site: the steps as they now stand, the node to command (or null), all done, or
     * failed (a commanded node answered that it could not renew: the site fails now, not at its timeout).
     */
    public record Decision(List<Step> steps, Step command, boolean done, boolean failed) {
        public Decision {
            steps = List.copyOf(steps);
        }
    }

    /** The "revision" a rotated site runs, for the engine ({@code 0} before). */
    public static final int ROTATED = 1;

    private RotationPlan() {
    }

    /** Standby first, then nodes of unknown role, the primary last; ties by node id. */
    public static List<Step> order(List<Node> nodes) {
        List<Node> sorted = new ArrayList<>(nodes);
        sorted.sort(Comparator.comparingInt((Node n) -> rank(n.role())).thenComparing(Node::id));
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++) {
            Node n = sorted.get(i);
            out.add(new Step(n.id(), i, n.role() == null ? "unknown" : n.role(), n.serial(), n.session(), -1, null,
                    -1));
        }
        return out;
    }

    static int rank(String role) {
        if ("standby".equals(role)) {
            return 0;
        }
        return "primary".equals(role) ? 2 : 1;
    }

    /**
     * One tick for a started site: marks the nodes that finished, then names the first unfinished node to command if
     * it was not yet commanded, or to command again if it is online and {@code resendMs} passed since the latest send
     * without a renewal (a command lost with a crash or a dropped session; the node runs one id once). Never commands
     * a node while an earlier one is unfinished, nor a node that is offline.
     */
    public static Decision next(List<Step> steps, Map<String, Node> now, long at, long resendMs) {
        List<Step> out = new ArrayList<>(steps);
        out.sort(Comparator.comparingInt(Step::ord));
        for (int i = 0; i < out.size(); i++) {
            Step s = out.get(i);
            if (s.isDone()) {
                continue;
            }
            Node n = now.get(s.node());
            if (s.commandedAt() >= 0 && n != null && renewed(s, n)) {
                out.set(i, s.done(n.serial(), at));
                continue;
            }
            if (s.commandedAt() >= 0 && s.refused() && !(n != null && renewedFrom(s, n))) {
                // (a node that renewed but answered "not reconnected in time" is waited for, not failed)
                return new Decision(out, null, false, true);
            }
            if (n != null && n.online() && (s.commandedAt() < 0 || at - s.commandedAt() >= resendMs)) {
                Step c = s.commandedAt() < 0 ? s.commanded(n.session(), at) : s.resent(at);
                out.set(i, c);
                return new Decision(out, c, false, false);
            }
            return new Decision(out, null, false, false);
        }
        return new Decision(out, null, true, false);
    }

    private static boolean renewedFrom(Step s, Node n) {
        return n.serial() != null && !n.serial().equals(s.fromSerial()) && s.fromSerial().equals(n.renewedFrom());
    }

    private static boolean renewed(Step s, Node n) {
        return n.online() && n.session() > s.session() && n.serial() != null && !n.serial().equals(s.fromSerial())
                && s.fromSerial().equals(n.renewedFrom());
    }
}
