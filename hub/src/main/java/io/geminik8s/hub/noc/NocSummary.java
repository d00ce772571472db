package io.geminik8s.hub.noc;

import io.geminik8s.hub.HubConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The fleet's counts by status, as the overview shows them: {@code pending} apart from {@code offline}. */
@ApplicationScoped
public class NocSummary {

    static final List<String> ORDER = List.of("healthy", "degraded", "split", "offline", "pending");
    private static final String COUNTS = """
            SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM node n WHERE n.site_id = s.id) THEN 'pending'
                        ELSE s.status END AS status, count(*) AS n
            FROM site s GROUP BY 1""";

    private final Pool pool;
    private final HubConfig hub;

    public NocSummary(Pool pool, HubConfig hub) {
        this.pool = pool;
        this.hub = hub;
    }

    /** Every status of {@link #ORDER} (0 when none) and {@code total}. */
    public Uni<Map<String, Long>> counts() {
        return pool.query(COUNTS).execute().map(rows -> {
            Map<String, Long> out = new LinkedHashMap<>();
            ORDER.forEach(s -> out.put(s, 0L));
            long total = 0;
            for (Row r : rows) {
                out.merge(r.getString("status"), r.getLong("n"), Long::sum);
                total += r.getLong("n");
            }
            out.put("total", total);
            return out;
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }
}
