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
    /**
     * Worst first: the order a NOC reads a fleet in. The stored status only (a pending site sorts with the offline
     * ones), so that the expression index of V18 serves it.
     */
    private static final String SEVERITY = "(CASE s.status WHEN 'split' THEN 0 WHEN 'offline' THEN 1"
            + " WHEN 'degraded' THEN 2 ELSE 3 END)";
    /** Sort keys and their columns; the template's may be null (an unbound site). */
    private static final Map<String, List<String>> SORTS = Map.of("id", List.of(), "status", List.of(SEVERITY),
            "updatedAt", List.of("s.updated_at"), "firstSeen", List.of("s.first_seen"),
            "template", List.of("b.template NULLS", "b.revision NULLS"));

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
        List<String> columns = SORTS.get(key);
        if (columns == null) {
            throw ApiProblem.badRequest("sort must be one of " + List.of("id", "status", "updatedAt", "firstSeen",
                    "template") + ", optionally with a leading '-', got '" + sort + "'");
        }
        String dir = desc ? " DESC" : "";
        List<String> keys = new ArrayList<>();
        for (String c : columns) {
            // unbound sites last either way; NOT NULL columns without NULLS, so that an index scan serves them
            keys.add(c.endsWith(" NULLS") ? c.substring(0, c.length() - 6) + dir + " NULLS LAST" : c + dir);
        }
        keys.add("s.id" + dir);
        order = String.join(", ", keys);
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
                       (SELECT count(*) FROM node n WHERE n.site_id = s.id) AS nodes_total,
                       (SELECT json_agg(json_build_object('node', n.node_id, 'upgrade',
                                                          n.health #> '{runtime,upgrade}') ORDER BY n.node_id)
                        FROM node n WHERE n.site_id = s.id)::text AS upgrades""" + from()
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
