package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.pki.FleetCrl;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Claims and enrollments in PostgreSQL; a claim is spent and the certificate recorded in one transaction. */
@ApplicationScoped
public class EnrollmentStore {

    /** One issued node certificate; {@code hardwareId}: what the request presented (null: none). */
    public record Enrollment(String serial, String site, String node, Instant notBefore, Instant notAfter,
                             Instant enrolledAt, Instant revokedAt, String hardwareId) {
        Enrollment withHardwareId(String shown) {
            return new Enrollment(serial, site, node, notBefore, notAfter, enrolledAt, revokedAt, shown);
        }
    }

    private static final String CLAIM = "INSERT INTO site_claim (token_sha256, site_id, created_by, created_ms,"
            + " expires_ms, needs_approval) VALUES ($1, $2, $3, $4, $5, $6)";
    /** Row-locks the claim: two nodes enrolling at once are serialised here. */
    private static final String SPEND = "UPDATE site_claim SET uses = uses + 1 WHERE token_sha256 = $1"
            + " AND site_id = $2 AND expires_ms > $3 AND uses < 2 RETURNING uses";
    private static final String WHY = "SELECT site_id, expires_ms, uses FROM site_claim WHERE token_sha256 = $1";
    private static final String RECORD = "INSERT INTO enrollment (serial, site_id, node_id, claim_sha256,"
            + " not_before_ms, not_after_ms, enrolled_ms, hardware_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    private static final String REGISTER = "INSERT INTO site (id, registration) VALUES ($1, 'enrolled')"
            + " ON CONFLICT (id) DO UPDATE SET registration = 'enrolled', updated_at = now()";
    private static final String LIST = "SELECT serial, site_id, node_id, not_before_ms, not_after_ms, enrolled_ms,"
            + " revoked_ms, hardware_id FROM enrollment WHERE ($1::text IS NULL OR site_id = $1)"
            + " ORDER BY enrolled_ms DESC, serial LIMIT $2";

    /** The certificate and every one renewed from it, directly or not: a stolen key's renewals go with it. */
    private static final String REVOKE = "WITH RECURSIVE line AS (SELECT serial FROM enrollment WHERE serial = $1"
            + " UNION SELECT e.serial FROM enrollment e JOIN line l ON e.renewed_from = l.serial WHERE $3)"
            + " UPDATE enrollment SET revoked_ms = COALESCE(revoked_ms, $2) WHERE serial IN (SELECT serial FROM line)"
            + " RETURNING serial, site_id, node_id, revoked_ms";

    private final Pool pool;
    private final HubConfig config;

    public EnrollmentStore(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    /** Records a claim, in the caller's transaction ({@link ClaimStore}: with the claim's pair and pins). */
    static Uni<Void> claim(io.vertx.mutiny.sqlclient.SqlClient tx, String tokenHash, String site, String by, Instant now,
                           Instant expires, boolean approval) {
        return tx.preparedQuery(CLAIM).execute(Tuple.from(List.of(tokenHash, site, by, now.toEpochMilli(),
                expires.toEpochMilli(), approval))).replaceWithVoid();
    }

    /**
     * Spends the claim for {@code e}'s node and records {@code e}, or fails with the reason: 401 for an unknown,
     * expired or spent token (or one this node already used), 403 for a token of another site or a hardware
     * identity other than the node's recorded one ({@link HardwareStore#admit}).
     */
    Uni<Void> enroll(String tokenHash, Enrollment e) {
        long now = e.enrolledAt().toEpochMilli();
        return pool.withTransaction(tx -> tx.preparedQuery(SPEND).execute(Tuple.of(tokenHash, e.site(), now))
                .chain(spent -> spent.rowCount() == 1 ? record(tx, tokenHash, e) : refusal(tx, tokenHash, e.site(), now)))
                .onFailure(PgException.class).transform(f -> "23505".equals(((PgException) f).getSqlState())
                        ? unauthorized("node '" + e.node() + "' already used this claim token") : f)
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    private Uni<Void> record(SqlConnection tx, String tokenHash, Enrollment e) {
        return HardwareStore.admit(tx, e.site(), e.node(), hardware(e), e.enrolledAt().toEpochMilli())
                .chain(() -> tx.preparedQuery(RECORD).execute(Tuple.from(java.util.Arrays.asList(e.serial(), e.site(),
                        e.node(), tokenHash, e.notBefore().toEpochMilli(), e.notAfter().toEpochMilli(),
                        e.enrolledAt().toEpochMilli(), e.hardwareId()))))
                .chain(() -> tx.preparedQuery(REGISTER).execute(Tuple.of(e.site()))).replaceWithVoid();
    }

    /**
     * Succeeds if the claim could enroll a node of {@code site} now (before any work is done for a request); else
     * fails with the reason. The spending transaction checks again.
     */
    Uni<Void> usable(String tokenHash, String site, long now) {
        return why(pool, tokenHash, site, now).ifNoItem().after(config.dbTimeout()).fail();
    }

    private Uni<Void> refusal(SqlConnection tx, String tokenHash, String site, long now) {
        return why(tx, tokenHash, site, now).chain(() -> Uni.createFrom().failure(
                unauthorized("the claim token was used by both nodes of its site")));
    }

    private static Uni<Void> why(io.vertx.mutiny.sqlclient.SqlClient c, String tokenHash, String site, long now) {
        return c.preparedQuery(WHY).execute(Tuple.of(tokenHash)).chain(rows -> {
            if (!rows.iterator().hasNext()) {
                return Uni.createFrom().failure(unauthorized("unknown claim token"));
            }
            Row r = rows.iterator().next();
            if (!r.getString("site_id").equals(site)) {
                return Uni.createFrom().failure(new ApiProblem(403, "Forbidden",
                        "this claim token is for another site"));
            }
            if (r.getLong("expires_ms") <= now) {
                return Uni.createFrom().failure(unauthorized("the claim token expired"));
            }
            return r.getInteger("uses") >= 2
                    ? Uni.createFrom().failure(unauthorized("the claim token was used by both nodes of its site"))
                    : Uni.createFrom().voidItem();
        });
    }

    private static final String CURRENT = "SELECT site_id, node_id, revoked_ms FROM enrollment WHERE serial = $1";
    private static final String RENEWED = "INSERT INTO enrollment (serial, site_id, node_id, renewed_from,"
            + " not_before_ms, not_after_ms, enrolled_ms, hardware_id) SELECT $1, site_id, node_id, serial, $3, $4, $5,"
            + " $8::text FROM enrollment WHERE serial = $2 AND revoked_ms IS NULL AND site_id = $6 AND node_id = $7";

    /**
     * Records {@code e}, renewed from {@code from}, if {@code from} is this node's and not revoked (checked in the
     * same statement); otherwise fails with 401. In the same transaction, 403 for a hardware identity other than
     * the node's recorded one ({@link HardwareStore#admit}).
     */
    Uni<Void> renew(String from, Enrollment e) {
        return pool.withTransaction(tx -> tx.preparedQuery(RENEWED).execute(Tuple.from(java.util.Arrays.asList(
                        e.serial(), from, e.notBefore().toEpochMilli(), e.notAfter().toEpochMilli(),
                        e.enrolledAt().toEpochMilli(), e.site(), e.node(), e.hardwareId())))
                .chain(rows -> rows.rowCount() == 1
                        ? HardwareStore.admit(tx, e.site(), e.node(), hardware(e), e.enrolledAt().toEpochMilli())
                        : tx.preparedQuery(CURRENT).execute(Tuple.of(from)).chain(r -> Uni.createFrom().failure(
                        unauthorized(!r.iterator().hasNext() ? "the certificate was not issued by enrollment"
                                : r.iterator().next().getLong("revoked_ms") != null ? "the certificate is revoked"
                                : "the certificate is another node's"))))).replaceWithVoid()
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    private static HardwareId hardware(Enrollment e) {
        return e.hardwareId() == null ? null : new HardwareId(e.hardwareId());
    }

    static ApiProblem unauthorized(String why) {
        return new ApiProblem(401, "Unauthorized", why);
    }

    /**
     * Marks the certificate and (with {@code renewals}) those renewed from it revoked (a repeat keeps the first time); their rows, the
     * requested one first; empty when there is no such serial.
     */
    Uni<List<Row>> revoke(String serial, boolean renewals, Instant now) {
        return pool.preparedQuery(REVOKE).execute(Tuple.of(serial, now.toEpochMilli(), renewals)).map(rows -> {
            List<Row> out = new ArrayList<>();
            rows.forEach(r -> {
                if (r.getString("serial").equals(serial)) {
                    out.add(0, r);
                } else {
                    out.add(r);
                }
            });
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    /** Nodes' and other certificates (the hub's, CertificateStore): each serial once. */
    private static final String REVOKED = "SELECT DISTINCT ON (serial) serial, revoked_ms, not_after_ms FROM"
            + " (SELECT serial, revoked_ms, not_after_ms FROM enrollment UNION ALL"
            + " SELECT serial, revoked_ms, not_after_ms FROM pki_certificate) c"
            + " WHERE revoked_ms IS NOT NULL AND not_after_ms > $1 ORDER BY serial, revoked_ms";

    /** Revoked certificates, nodes' and others', that have not expired at {@code now}: what the CRL lists. */
    Uni<List<FleetCrl.Revoked>> revokedUnexpired(Instant now) {
        return pool.preparedQuery(REVOKED).execute(Tuple.of(now.toEpochMilli())).map(rows -> {
            List<FleetCrl.Revoked> out = new ArrayList<>();
            for (Row r : rows) {
                out.add(FleetCrl.Revoked.of(r.getString("serial"), Instant.ofEpochMilli(r.getLong("revoked_ms")),
                        Instant.ofEpochMilli(r.getLong("not_after_ms"))));
            }
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    Uni<List<Enrollment>> list(String site, int limit) {
        return pool.preparedQuery(LIST).execute(Tuple.of(site, limit)).map(rows -> {
            List<Enrollment> out = new ArrayList<>();
            for (Row r : rows) {
                Long revoked = r.getLong("revoked_ms");
                out.add(new Enrollment(r.getString("serial"), r.getString("site_id"), r.getString("node_id"),
                        Instant.ofEpochMilli(r.getLong("not_before_ms")), Instant.ofEpochMilli(r.getLong("not_after_ms")),
                        Instant.ofEpochMilli(r.getLong("enrolled_ms")), revoked == null ? null : Instant.ofEpochMilli(revoked),
                        r.getString("hardware_id")));
            }
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }
}
