package io.geminik8s.protocol;

import java.util.Objects;

/**
 * Protocol 1.4's short health sample, a <em>delta</em>: a sample of schema 1.4 or newer without {@code session}
 * belongs to the connection of the node's previous sample, and every field it leaves out has that sample's value —
 * but {@code uptimeS}, which is that sample's plus the whole seconds between their {@code ts}.
 * The agent leaves out the session, the uptime and what stays put on a connection — the totals, PostgreSQL,
 * certificates, the applied generation, the runtime — and sends a <em>complete</em> sample (with {@code session}) as a
 * connection's first,
 * at least every {@link #COMPLETE_EVERY}th, and twice in a row after any of those changed; a reader fills a delta
 * in from the sample it keeps ({@link #over}). A sample with {@code session}, or of an older minor, is complete.
 */
public final class HealthDelta {

    /** A connection's samples include a complete one at least this often. */
    public static final int COMPLETE_EVERY = 10;

    private HealthDelta() {
    }

    /** Whether {@code h} is a delta: schema 1.4 or newer of this major, and no session. */
    public static boolean isDelta(Health h) {
        if (h.session() != null || h.v() == null) {
            return false;
        }
        try {
            SchemaVersion v = SchemaVersion.parse(h.v());
            return v.major() == SchemaVersion.CURRENT.major() && v.minor() >= 4;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** {@code delta} with every field it leaves out (the session included) taken from {@code base}. */
    public static Health over(Health delta, Health base) {
        return new Health(delta.v(), delta.site(), delta.node(), delta.ts(), or(delta.cpuPct(), base.cpuPct()),
                or(delta.memUsedBytes(), base.memUsedBytes()), or(delta.memTotalBytes(), base.memTotalBytes()),
                or(delta.diskUsedBytes(), base.diskUsedBytes()), or(delta.diskTotalBytes(), base.diskTotalBytes()),
                or(delta.uptimeS(), uptimeAt(base, delta.ts())), or(delta.pg(), base.pg()),
                or(delta.certs(), base.certs()),
                or(delta.appliedGeneration(), base.appliedGeneration()), or(delta.session(), base.session()),
                or(delta.sample(), base.sample()), or(delta.runtime(), base.runtime()));
    }

    /** {@code complete} as a delta: without the session, the uptime and the fields that stay put on a connection. */
    public static Health strip(Health complete) {
        return new Health(complete.v(), complete.site(), complete.node(), complete.ts(), complete.cpuPct(),
                complete.memUsedBytes(), null, complete.diskUsedBytes(), null, null, null, null, null,
                null, complete.sample(), null);
    }

    /** {@code base}'s uptime moved on to {@code ts} (epoch ms): a delta's, which leaves the uptime out. */
    static Long uptimeAt(Health base, Long ts) {
        if (base.uptimeS() == null || base.ts() == null || ts == null) {
            return base.uptimeS();
        }
        return base.uptimeS() + Math.round((ts - base.ts()) / 1000.0);
    }

    /** Whether the fields a delta leaves out are the same in both samples (and so is their connection). */
    public static boolean steadyBetween(Health a, Health b) {
        return Objects.equals(a.session(), b.session()) && Objects.equals(a.memTotalBytes(), b.memTotalBytes())
                && Objects.equals(a.diskTotalBytes(), b.diskTotalBytes()) && Objects.equals(a.pg(), b.pg())
                && Objects.equals(a.certs(), b.certs()) && Objects.equals(a.appliedGeneration(), b.appliedGeneration())
                && Objects.equals(a.runtime(), b.runtime());
    }

    /** Whether a field a delta sends every time was in {@code before} and is not in {@code now}: a delta cannot say so. */
    public static boolean lostAField(Health before, Health now) {
        return gone(before.cpuPct(), now.cpuPct()) || gone(before.memUsedBytes(), now.memUsedBytes())
                || gone(before.diskUsedBytes(), now.diskUsedBytes()) || gone(before.uptimeS(), now.uptimeS());
    }

    private static boolean gone(Object before, Object now) {
        return before != null && now == null;
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
