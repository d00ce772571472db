package io.geminik8s.protocol;

import java.util.List;
import java.util.Optional;

/**
 * Periodic health sample (QoS 0, not retained: only the latest matters). Absent probes are null.
 * {@code appliedGeneration} (1.1): the newest desired-state generation this node has applied.
 * {@code session}, {@code sample} (1.2): the sample's order among the node's samples — its connection session and a
 * number that grows with every sample the agent process sends; the hub keeps the sample with the largest
 * (session, sample), whichever replica receives which first, without trusting the node's clock.
 * {@code runtime} (1.3): what runs on the node now — versions, K3s readiness, the in-site upgrade's step — so that a
 * rollout proves a site by what runs, not by what was asked.
 * A 1.4 sample without {@code session} is a delta of the connection's previous one ({@link HealthDelta}).
 */
public record Health(
        String v,
        String site,
        String node,
        Long ts,
        Double cpuPct,
        Long memUsedBytes,
        Long memTotalBytes,
        Long diskUsedBytes,
        Long diskTotalBytes,
        Long uptimeS,
        Pg pg,
        List<CertExpiry> certs,
        Long appliedGeneration,
        Long session,
        Long sample,
        Runtime runtime) implements Message, NodeMessage {

    /** A sample without the runtime section (schema 1.2 and older). */
    public Health(String v, String site, String node, Long ts, Double cpuPct, Long memUsedBytes, Long memTotalBytes,
                  Long diskUsedBytes, Long diskTotalBytes, Long uptimeS, Pg pg, List<CertExpiry> certs,
                  Long appliedGeneration, Long session, Long sample) {
        this(v, site, node, ts, cpuPct, memUsedBytes, memTotalBytes, diskUsedBytes, diskTotalBytes, uptimeS, pg, certs,
                appliedGeneration, session, sample, null);
    }

    /** A sample without an order key (schema 1.1 and older). */
    public Health(String v, String site, String node, Long ts, Double cpuPct, Long memUsedBytes, Long memTotalBytes,
                  Long diskUsedBytes, Long diskTotalBytes, Long uptimeS, Pg pg, List<CertExpiry> certs,
                  Long appliedGeneration) {
        this(v, site, node, ts, cpuPct, memUsedBytes, memTotalBytes, diskUsedBytes, diskTotalBytes, uptimeS, pg, certs,
                appliedGeneration, null, null, null);
    }

    /** Whether this sample comes after {@code other} by their order keys; a keyed sample beats an unkeyed one. */
    public boolean newerThan(Health other) {
        if (session == null || sample == null) {
            return other.session == null && (ts == null || other.ts == null || ts >= other.ts);
        }
        if (other.session == null || other.sample == null) {
            return true;
        }
        return session > other.session || (session.equals(other.session) && sample >= other.sample);
    }

    /** Local PostgreSQL as seen over JDBC; {@code error} says why a probe failed. */
    public record Pg(Role role, Long replicationLagBytes, Boolean streaming, String error) {
        Optional<DecodeError> validate() {
            return new Rules().present("role", role).range("replicationLagBytes", replicationLagBytes, 0,
                    Long.MAX_VALUE).text("error", error, false).result();
        }
    }

    /** A configured certificate file and its expiry (epoch ms). */
    public record CertExpiry(String path, Long notAfter, String error) {
        Optional<DecodeError> validate() {
            return new Rules().text("path", path, true).result();
        }
    }

    /**
     * What runs on the node (1.3). {@code versions}: component → version as the node reads it from the component
     * itself ({@code k3s}, {@code postgres}, {@code agent}); {@code k3sReady}: the local K3s server answers its
     * readiness check (absent where the node runs no K3s); {@code vipAnswers}: this node holds the site's VIP and a
     * TCP connection to the VIP's checked port (the K8s API behind HAProxy by default) succeeds (absent on a node
     * without the VIP); {@code upgrade}: the in-site upgrade, absent when none ever ran.
     */
    public record Runtime(java.util.Map<String, String> versions, Boolean k3sReady, Boolean vipAnswers,
                          Upgrade upgrade) {
        public Runtime {
            versions = versions == null ? null : java.util.Map.copyOf(versions);
        }

        /** A component's name: k3s, postgres, agent... */
        static final java.util.regex.Pattern COMPONENT = java.util.regex.Pattern.compile("[a-z][a-z0-9-]{0,31}");

        Optional<DecodeError> validate() {
            Rules r = new Rules();
            if (versions != null) {
                r.check(versions.size() <= 16, "versions", "at most 16 entries");
                versions.forEach((k, val) -> {
                    r.check(k != null && COMPONENT.matcher(k).matches(), "versions",
                            "keys are component names ([a-z][a-z0-9-]{0,31})");
                    r.plain("versions." + k, val, true, 128);
                });
            }
            if (upgrade != null) {
                r.nested("upgrade", upgrade.validate());
            }
            return r.result();
        }
    }

    /**
     * The node's part of the in-site upgrade to desired generation {@code generation}: {@code step} is one of
     * {@link #STEPS}; {@code error} says why a {@code failed} step failed (the node is back on {@code from}).
     */
    public record Upgrade(Long generation, String step, String from, String to, String error) {
        /**
         * waiting-for-standby: the primary waits for its standby to finish and prove health first;
         * restarting-agent: the node's agent restarted into a new version on trial, which proves itself.
         */
        public static final java.util.List<String> STEPS = java.util.List.of("installing", "verifying",
                "restarting-agent", "waiting-for-standby", "switching-over", "rolling-back", "done", "failed");

        Optional<DecodeError> validate() {
            return new Rules().min("generation", generation, 0).present("step", step)
                    .check(step == null || STEPS.contains(step), "step", "one of " + STEPS)
                    .plain("from", from, false, 128).plain("to", to, false, 128).plain("error", error, false, 1024)
                    .result();
        }
    }

    @Override
    public Optional<DecodeError> validate() {
        Rules r = Rules.of(v).id("site", site).id("node", node).min("ts", ts, 0).range("cpuPct", cpuPct, 0, 100)
                .range("memUsedBytes", memUsedBytes, 0, Long.MAX_VALUE)
                .range("memTotalBytes", memTotalBytes, 0, Long.MAX_VALUE)
                .range("diskUsedBytes", diskUsedBytes, 0, Long.MAX_VALUE)
                .range("diskTotalBytes", diskTotalBytes, 0, Long.MAX_VALUE)
                .range("uptimeS", uptimeS, 0, Long.MAX_VALUE)
                .range("appliedGeneration", appliedGeneration, 0, Long.MAX_VALUE)
                .range("session", session, 0, Long.MAX_VALUE).range("sample", sample, 0, Long.MAX_VALUE)
                .noNullItems("certs", certs);
        if (pg != null) {
            r.nested("pg", pg.validate());
        }
        if (runtime != null) {
            r.nested("runtime", runtime.validate());
        }
        if (certs != null) {
            for (int i = 0; i < certs.size() && certs.get(i) != null; i++) {
                r.nested("certs[" + i + "]", certs.get(i).validate());
            }
        }
        return r.result();
    }
}
