package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.HubConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Enrollment requests waiting for an admin, for claims made with approval. */
@ApplicationScoped
public class ApprovalStore {

    /** A node's request under an approval claim; {@code approvedAt} null while it waits. */
    public record Request(String site, String node, String address, Instant requestedAt, Instant approvedAt,
                          String approvedBy) {
    }

    private static final String NEEDS = "SELECT needs_approval FROM site_claim WHERE token_sha256 = $1";
    private static final String ASK = "INSERT INTO enrollment_request (claim_sha256, node_id, site_id, address,"
            + " requested_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (claim_sha256, node_id) DO UPDATE SET"
            + " address = excluded.address, requested_ms = excluded.requested_ms RETURNING approved_ms";
    /** The newest waiting request of the node under a claim that can still enroll it. */
    private static final String APPROVE = "UPDATE enrollment_request r SET approved_ms = $3, approved_by = $4"
            + " FROM site_claim c WHERE r.claim_sha256 = c.token_sha256 AND r.site_id = $1 AND r.node_id = $2"
            + " AND r.approved_ms IS NULL AND c.expires_ms > $3 AND c.uses < 2 RETURNING r.address";
    private static final String LIST = "SELECT r.site_id, r.node_id, r.address, r.requested_ms, r.approved_ms,"
            + " r.approved_by FROM enrollment_request r WHERE ($1::text IS NULL OR r.site_id = $1)"
            + " ORDER BY r.requested_ms DESC LIMIT 500";

    private final Pool pool;
    private final HubConfig config;

    public ApprovalStore(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    /** True when the claim may enroll this node now: no approval needed, or an admin approved its request. */
    Uni<Boolean> admitted(String claimHash, String site, String node, String address, long now) {
        return pool.preparedQuery(NEEDS).execute(Tuple.of(claimHash)).chain(rows -> {
            if (!rows.iterator().hasNext() || !rows.iterator().next().getBoolean("needs_approval")) {
                return Uni.createFrom().item(true);
            }
            return pool.preparedQuery(ASK).execute(Tuple.of(claimHash, node, site, address, now))
                    .map(r -> r.iterator().next().getLong("approved_ms") != null);
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    /** Approves the node's waiting request; false when there is none. */
    Uni<Boolean> approve(String site, String node, String by, long now) {
        return pool.preparedQuery(APPROVE).execute(Tuple.of(site, node, now, by)).map(r -> r.rowCount() > 0)
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    Uni<List<Request>> list(String site) {
        return pool.preparedQuery(LIST).execute(Tuple.of(site)).map(rows -> {
            List<Request> out = new ArrayList<>();
            for (Row r : rows) {
                Long approved = r.getLong("approved_ms");
                out.add(new Request(r.getString("site_id"), r.getString("node_id"), r.getString("address"),
                        Instant.ofEpochMilli(r.getLong("requested_ms")),
                        approved == null ? null : Instant.ofEpochMilli(approved), r.getString("approved_by")));
            }
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }
}
