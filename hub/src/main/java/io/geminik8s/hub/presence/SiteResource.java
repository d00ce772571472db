package io.geminik8s.hub.presence;

import io.geminik8s.hub.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.api.Paging;
import io.geminik8s.protocol.Codec;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

/** Read side of fleet presence: sites with filters and paging, one site with its nodes, a site's events. */
@Path("/api/v1/sites")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class SiteResource {

    private static final String SITE = "SELECT id, status, status_reason, registration, labels::text AS labels,"
            + " first_seen, updated_at FROM site WHERE id = $1";
    private static final String NODES = """
            SELECT node_id, online, offline_reason, role, replication_ok, last_seen, session, agent_version, hostname,
                   versions::text AS versions, last_applied_generation, health::text AS health, health_at
            FROM node WHERE site_id = $1 ORDER BY node_id""";
    private static final String EVENTS = """
            SELECT node_id, seq, ts, type, severity, message, attrs::text AS attrs, received
            FROM node_event WHERE site_id = $1 AND ($2::text IS NULL OR node_id = $2)
            ORDER BY ts DESC, node_id, seq DESC LIMIT $3""";
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final Pool pool;
    private final HubConfig config;
    private final ObjectMapper json;

    public SiteResource(Pool pool, HubConfig config, Codec codec) {
        this.pool = pool;
        this.config = config;
        this.json = codec.mapper();
    }

    @GET
    @Operation(summary = "List sites", description = "Filters (all must match), sort and paging; docs/api.md.")
    public Uni<SiteViews.SitePage> list(
            @Parameter(description = "healthy, degraded, split, offline or pending") @QueryParam("status") String status,
            @Parameter(description = "key=value; repeat for several") @QueryParam("label") List<String> labels,
            @Parameter(description = "part of the id, a label or the status reason") @QueryParam("q") String q,
            @Parameter(description = "bound template") @QueryParam("template") String template,
            @Parameter(description = "bound template revision") @QueryParam("revision") String revisionParam,
            @Parameter(description = "key=value a node reports, e.g. k3s=v1.31.4+k3s1") @QueryParam("version")
            String version,
            @Parameter(description = "id, status, updatedAt, firstSeen or template; '-' first for descending")
            @QueryParam("sort") String sort,
            @Parameter(description = "0-based page, default 0") @QueryParam("page") String pageParam,
            @Parameter(description = "page size 1..500, default 50") @QueryParam("size") String sizeParam) {
        SiteQuery query = new SiteQuery().status(status).labels(labelSelector(labels, "label")).text(q)
                .template(template, revisionParam == null || revisionParam.isBlank() ? null
                        : Paging.intParam("revision", revisionParam, 0, 1, Integer.MAX_VALUE))
                .version(version == null ? null : labelSelector(List.of(version), "version")).sort(sort);
        int page = Paging.intParam("page", pageParam, 0, 0, 1_000_000);
        int size = Paging.intParam("size", sizeParam, 50, 1, 500);
        Uni<Long> total = pool.preparedQuery(query.countSql()).execute(query.countArgs())
                .map(rows -> rows.iterator().next().getLong("n"));
        Uni<List<SiteViews.SiteSummary>> items = pool.preparedQuery(query.pageSql())
                .execute(query.pageArgs(size, (long) page * size)).map(this::summaries);
        return Uni.combine().all().unis(total, items).asTuple()
                .map(t -> new SiteViews.SitePage(t.getItem2(), page, size, t.getItem1()))
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One site with its nodes")
    public Uni<SiteViews.SiteDetail> get(@PathParam("id") String id) {
        return pool.preparedQuery(SITE).execute(Tuple.of(id)).chain(rows -> {
            if (!rows.iterator().hasNext()) {
                return Uni.createFrom().failure(ApiProblem.notFound("no site '" + id + "'"));
            }
            Row s = rows.iterator().next();
            return pool.preparedQuery(NODES).execute(Tuple.of(id)).map(rows2 -> {
                List<SiteViews.NodeView> nodes = nodes(rows2);
                return new SiteViews.SiteDetail(s.getString("id"), s.getString("status"),
                        s.getString("status_reason"), s.getString("registration"), map(s.getString("labels")),
                        s.getOffsetDateTime("first_seen"), s.getOffsetDateTime("updated_at"), nodes,
                        SiteUpgrade.fromHealth(nodes.stream().map(SiteViews.NodeView::id).toList(),
                                nodes.stream().map(SiteViews.NodeView::health).toList()));
            });
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    @GET
    @Path("{id}/events")
    @Operation(summary = "A site's events, newest first", description = "Deduplicated by (node, seq).")
    public Uni<SiteViews.EventPage> events(@PathParam("id") String id, @QueryParam("node") String node,
                                           @Parameter(description = "1..1000, default 100") @QueryParam("limit")
                                           String limitParam) {
        int limit = Paging.intParam("limit", limitParam, 100, 1, 1000);
        return pool.preparedQuery(SITE).execute(Tuple.of(id)).chain(rows -> {
            if (!rows.iterator().hasNext()) {
                return Uni.createFrom().failure(ApiProblem.notFound("no site '" + id + "'"));
            }
            return pool.preparedQuery(EVENTS).execute(Tuple.of(id, node, limit)).map(ev -> {
                List<SiteViews.EventView> out = new ArrayList<>();
                for (Row r : ev) {
                    out.add(new SiteViews.EventView(r.getString("node_id"), r.getLong("seq"),
                            r.getOffsetDateTime("ts"), r.getString("type"), r.getString("severity"),
                            r.getString("message"), map(r.getString("attrs")), r.getOffsetDateTime("received")));
                }
                return new SiteViews.EventPage(out, limit);
            });
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    private String labelSelector(List<String> labels, String name) {
        Map<String, String> selector = new LinkedHashMap<>();
        for (String l : labels == null ? List.<String>of() : labels) {
            int eq = l.indexOf('=');
            if (eq <= 0) {
                throw ApiProblem.badRequest(name + " must be key=value, got '" + l + "'");
            }
            selector.put(l.substring(0, eq), l.substring(eq + 1));
        }
        try {
            return json.writeValueAsString(selector);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<SiteViews.SiteSummary> summaries(RowSet<Row> rows) {
        List<SiteViews.SiteSummary> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(new SiteViews.SiteSummary(r.getString("id"), r.getString("status"), r.getString("status_reason"),
                    r.getString("registration"), map(r.getString("labels")), r.getLong("nodes_online").intValue(),
                    r.getLong("nodes_total").intValue(), r.getOffsetDateTime("first_seen"),
                    r.getOffsetDateTime("updated_at"), r.getString("template"), r.getInteger("revision"),
                    SiteUpgrade.fromArray(tree(r.getString("upgrades")))));
        }
        return out;
    }

    private List<SiteViews.NodeView> nodes(RowSet<Row> rows) {
        List<SiteViews.NodeView> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(new SiteViews.NodeView(r.getString("node_id"), r.getBoolean("online"),
                    r.getString("offline_reason"), r.getString("role"), r.getBoolean("replication_ok"),
                    r.getOffsetDateTime("last_seen"), r.getLong("session"), r.getString("agent_version"),
                    r.getString("hostname"), map(r.getString("versions")), r.getLong("last_applied_generation"),
                    tree(r.getString("health")), r.getOffsetDateTime("health_at")));
        }
        return out;
    }

    private Map<String, String> map(String text) {
        try {
            return text == null ? Map.of() : json.readValue(text, STRING_MAP);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode tree(String text) {
        try {
            return text == null ? null : json.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
