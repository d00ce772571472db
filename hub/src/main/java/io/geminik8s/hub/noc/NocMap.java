package io.geminik8s.hub.noc;

import io.geminik8s.hub.HubConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sites by location for the NOC map: the labels {@code lat} and {@code lon} (decimal degrees), counted per cell of
 * one degree and status. Sites without both labels, or with values that are not numbers in range, are counted as
 * unlocated.
 */
@ApplicationScoped
public class NocMap {

    static final int MAX_CELLS = 5000;
    private static final String NUMBER = "'^-?[0-9]{1,3}(\\.[0-9]+)?$'";
    private static final String CELLS = """
            SELECT lat, lon, count(*) AS n, count(*) FILTER (WHERE status = 'split') AS split,
                   count(*) FILTER (WHERE status = 'offline') AS offline,
                   count(*) FILTER (WHERE status = 'degraded') AS degraded,
                   count(*) FILTER (WHERE status = 'healthy') AS healthy
            FROM (SELECT round(CASE WHEN labels->>'lat' ~ %1$s THEN (labels->>'lat')::numeric END)::int AS lat,
                         round(CASE WHEN labels->>'lon' ~ %1$s THEN (labels->>'lon')::numeric END)::int AS lon,
                         status FROM site) x
            WHERE lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180
            GROUP BY lat, lon ORDER BY split DESC, offline DESC, degraded DESC, n DESC LIMIT %2$d""".formatted(NUMBER,
            MAX_CELLS);
    private static final String TOTAL = "SELECT count(*) AS n FROM site";

    public record Cell(int lat, int lon, long sites, String worst, Map<String, Long> counts) {
    }

    public record Located(List<Cell> cells, long located, long unlocated) {
    }

    private final Pool pool;
    private final HubConfig hub;

    public NocMap(Pool pool, HubConfig hub) {
        this.pool = pool;
        this.hub = hub;
    }

    public Uni<Located> cells() {
        Uni<List<Cell>> cells = pool.query(CELLS).execute().map(rows -> {
            List<Cell> out = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Long> counts = new LinkedHashMap<>();
                String worst = null;
                for (String s : List.of("split", "offline", "degraded", "healthy")) {
                    long n = r.getLong(s);
                    counts.put(s, n);
                    if (worst == null && n > 0) {
                        worst = s;
                    }
                }
                out.add(new Cell(r.getInteger("lat"), r.getInteger("lon"), r.getLong("n"), worst, counts));
            }
            return out;
        });
        Uni<Long> total = pool.query(TOTAL).execute().map(rows -> rows.iterator().next().getLong("n"));
        return Uni.combine().all().unis(cells, total).asTuple().map(t -> {
            long located = t.getItem1().stream().mapToLong(Cell::sites).sum();
            return new Located(t.getItem1(), located, t.getItem2() - located);
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }
}
