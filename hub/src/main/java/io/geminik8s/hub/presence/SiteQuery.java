package io.geminik8s.hub.presence;

import io.geminik8s.hub.api.ApiProblem;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The filters and order of {@code GET /api/v1/sites} as SQL: every value a parameter, every column and direction
 * from a fixed list (docs/api.md). {@code pending} is a site no node has reported for yet (claimed, waiting for its
 * first contact); {@code offline} then means a site whose known nodes are all offline.
 */
final class SiteQuery {

    static final List<String> STATUSES = List.of("healthy", "degraded", "split", "offline", "pending");
    private static final String HAS_NODE = "EXISTS (SELECT 1 FROM node n WHERE n.site_id = s.id)";
    /** Worst first: the order a NOC reads a fleet in. */
    private static final String SEVERITY = "CASE WHEN NOT " + HAS_NODE + " THEN 4 ELSE CASE s.status"
            + " WHEN 'split' THEN 0 WHEN 'offline' THEN 1 WHEN 'degraded' THEN 2 ELSE 3 END END";
    private static final Map<String, String> SORTS = Map.of("id", "s.id", "status", SEVERITY,
            "updatedAt", "s.updated_at", "firstSeen", "s.first_seen", "template", "b.template, b.revision");

    final List<String> where = new ArrayList<>();
    final List<Object> params = new ArrayList<>();
    private String order = "s.id";

    SiteQuery status(String status) {
        if (status == null) {
            return this;
        }
        if (!STATUSES.contains(status)) {
            throw ApiProblem.badRequest("status must be one of " + STATUSES + ", got '" + status + "'");
        }
        if (status.equals("pending")) {
            where.add("NOT " + HAS_NODE);
        } else {
            where.add("s.status = " + param(status) + (status.equals("offline") ? " AND " + HAS_NODE : ""));
        }
        return this;
    }

    SiteQuery labels(String selectorJson) {
        where.add("s.labels @> " + param(selectorJson) + "::text::jsonb");
        return this;
    }

    /** Free text: a part of the id, a label's key or value, or the status reason; case-insensitive. */
    SiteQuery text(String q) {
        if (q != null && !q.isBlank()) {
            String p = param("%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
            where.add("(s.id ILIKE " + p + " OR s.labels::text ILIKE " + p + " OR s.status_reason ILIKE " + p + ")");
        }
        return this;
    }

    SiteQuery template(String template, Integer revision) {
        if (template != null && !template.isBlank()) {
            where.add("b.template = " + param(template));
        }
        if (revision != null) {
            where.add("b.revision = " + param(revision));
        }
        return this;
    }

    /** {@code key=value} that either node of the site reports in its versions (e.g. {@code k3s=v1.31.4+k3s1}). */
    SiteQuery version(String versionJson) {
        if (versionJson != null) {
            where.add("EXISTS (SELECT 1 FROM node n WHERE n.site_id = s.id AND n.versions @> "
                    + param(versionJson) + "::text::jsonb)");
        }
        return this;
    }

    SiteQuery sort(String sort) {
        if (sort == null || sort.isBlank()) {
            return this;
        }
        boolean desc = sort.startsWith("-");
        String key = desc ? sort.substring(1) : sort;
        String column = SORTS.get(key);
        if (column == null) {
            throw ApiProblem.badRequest("sort must be one of " + List.of("id", "status", "updatedAt", "firstSeen",
                    "template") + ", optionally with a leading '-', got '" + sort + "'");
        }
        String dir = desc ? " DESC NULLS LAST" : "";
        order = String.join(", ", java.util.Arrays.stream(column.split(", ")).map(c -> c + dir).toList()) + ", s.id";
        return this;
    }

    private String param(Object value) {
        params.add(value);
        return "$" + params.size();
    }

    private String from() {
        return " FROM site s LEFT JOIN site_binding b ON b.site_id = s.id"
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where));
    }

    String countSql() {
        return "SELECT count(*) AS n" + from();
    }

    String pageSql() {
        return """
                SELECT s.id, s.status, s.status_reason, s.registration, s.labels::text AS labels, s.first_seen,
                       s.updated_at, b.template, b.revision,
                       (SELECT count(*) FILTER (WHERE n.online) FROM node n WHERE n.site_id = s.id) AS nodes_online,
                       (SELECT count(*) FROM node n WHERE n.site_id = s.id) AS nodes_total""" + from()
                + " ORDER BY " + order + " LIMIT $" + (params.size() + 1) + " OFFSET $" + (params.size() + 2);
    }

    Tuple countArgs() {
        return Tuple.from(params);
    }

    Tuple pageArgs(int size, long offset) {
        List<Object> all = new ArrayList<>(params);
        all.add(size);
        all.add(offset);
        return Tuple.from(all);
    }
}
