package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.HubConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

/**
 * Revoking any certificate of the fleet intermediate by serial: a node's ({@code enrollment}) or another one
 * ({@code pki_certificate}: the hub's client certificates, recorded by each hub at start, and certificates an admin
 * handed in). The first revocation's time, reason and caller are kept; a repeat changes nothing.
 */
@ApplicationScoped
public class CertificateStore {

    /** A revoked certificate; {@code site}/{@code node} only for a node's. */
    public record Revoked(String serial, String subject, String site, String node, Instant revokedAt, String reason,
                          String revokedBy) {
    }

    private static final String FIRST = " revoked_ms = COALESCE(revoked_ms, $2),"
            + " revoked_reason = CASE WHEN revoked_ms IS NULL THEN $3 ELSE revoked_reason END,"
            + " revoked_by = CASE WHEN revoked_ms IS NULL THEN $4 ELSE revoked_by END WHERE serial = $1";
    private static final String NODE = "UPDATE enrollment SET" + FIRST + " RETURNING serial, 'CN=' || site_id || '/'"
            + " || node_id AS subject, site_id, node_id, revoked_ms, revoked_reason, revoked_by";
    private static final String OTHER = "UPDATE pki_certificate SET" + FIRST + " RETURNING serial, subject,"
            + " NULL::text AS site_id, NULL::text AS node_id, revoked_ms, revoked_reason, revoked_by";
    private static final String RECORD = "INSERT INTO pki_certificate (serial, subject, not_after_ms, recorded_ms)"
            + " VALUES ($1, $2, $3, $4) ON CONFLICT (serial) DO NOTHING";

    private final Pool pool;
    private final HubConfig config;

    public CertificateStore(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    /** Records a certificate that is not a node's (kept as first recorded), so that it can be revoked by serial. */
    Uni<Void> record(X509Certificate c, Instant now) {
        return pool.preparedQuery(RECORD).execute(tuple(c, now)).replaceWithVoid()
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    /**
     * Revokes the certificate with {@code serial} (lower-case hex): a node's, else a recorded one, else — when
     * {@code given} (checked by the caller: this serial, issued by the fleet intermediate) — records and revokes that.
     * Empty when the hub knows no such certificate.
     */
    Uni<Optional<Revoked>> revoke(String serial, String reason, String by, Optional<X509Certificate> given,
                                  Instant now) {
        Tuple args = Tuple.of(serial, now.toEpochMilli(), reason, by);
        return pool.withTransaction(tx -> tx.preparedQuery(NODE).execute(args).chain(rows -> rows.iterator().hasNext()
                ? Uni.createFrom().item(rows) : recordGiven(tx, given, now).chain(() -> tx.preparedQuery(OTHER)
                .execute(args)))).map(rows -> rows.iterator().hasNext() ? Optional.of(revoked(rows.iterator().next()))
                : Optional.<Revoked>empty()).ifNoItem().after(config.dbTimeout()).fail();
    }

    private static Uni<Void> recordGiven(SqlConnection tx, Optional<X509Certificate> given, Instant now) {
        return given.isEmpty() ? Uni.createFrom().voidItem()
                : tx.preparedQuery(RECORD).execute(tuple(given.get(), now)).replaceWithVoid();
    }

    private static Tuple tuple(X509Certificate c, Instant now) {
        return Tuple.from(Arrays.asList(c.getSerialNumber().toString(16), c.getSubjectX500Principal().getName(),
                c.getNotAfter().getTime(), now.toEpochMilli()));
    }

    private static Revoked revoked(Row r) {
        return new Revoked(r.getString("serial"), r.getString("subject"), r.getString("site_id"),
                r.getString("node_id"), Instant.ofEpochMilli(r.getLong("revoked_ms")), r.getString("revoked_reason"),
                r.getString("revoked_by"));
    }
}
