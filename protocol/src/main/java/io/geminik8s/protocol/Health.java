package io.geminik8s.protocol;

import java.util.List;
import java.util.Optional;

/**
 * Periodic health sample (QoS 0, not retained: only the latest matters). Absent probes are null.
 * {@code appliedGeneration} (1.1): the newest desired-state generation this node has applied.
 * {@code session}, {@code sample} (1.2): the sample's order among the node's samples — its connection session and a
 * number that grows with every sample the agent process sends; the hub keeps the sample with the largest
 * (session, sample), whichever replica receives which first, without trusting the node's clock.
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
        Long sample) implements Message, NodeMessage {

    /** A sample without an order key (schema 1.1 and older). */
    public Health(String v, String site, String node, Long ts, Double cpuPct, Long memUsedBytes, Long memTotalBytes,
                  Long diskUsedBytes, Long diskTotalBytes, Long uptimeS, Pg pg, List<CertExpiry> certs,
                  Long appliedGeneration) {
        this(v, site, node, ts, cpuPct, memUsedBytes, memTotalBytes, diskUsedBytes, diskTotalBytes, uptimeS, pg, certs,
                appliedGeneration, null, null);
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
        if (certs != null) {
            for (int i = 0; i < certs.size() && certs.get(i) != null; i++) {
                r.nested("certs[" + i + "]", certs.get(i).validate());
            }
        }
        return r.result();
    }
}
