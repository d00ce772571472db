package io.geminik8s.hub.desired;

import io.geminik8s.hub.HubConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Site bindings in PostgreSQL: set-based binding by labels, unpublished generations, overrides. */
@ApplicationScoped
public class DesiredStore {

    /** A binding with its template revision's stored JSON. */
    public record Binding(String site, String template, int revision, String overrides, long generation,
                          long publishedGeneration, String templateJson, Long activateNotBefore) {
    }

    // a site is bound when exactly one template's selector matches its labels, to that template's latest revision
    private static final String BIND = """
            WITH latest AS (SELECT DISTINCT ON (name) name, revision, spec FROM template_revision
                            ORDER BY name, revision DESC),
                 matches AS (SELECT s.id, l.name, l.revision, count(*) OVER (PARTITION BY s.id) AS n
                             FROM site s JOIN latest l ON s.labels @> (l.spec -> 'spec' -> 'selector')
                             WHERE NOT EXISTS (SELECT 1 FROM site_binding b WHERE b.site_id = s.id))
            INSERT INTO site_binding (site_id, template, revision)
            SELECT id, name, revision FROM matches WHERE n = 1
            ON CONFLICT DO NOTHING""";
    private static final String SELECT = """
            SELECT b.site_id, b.template, b.revision, b.overrides::text AS overrides, b.generation,
                   b.published_generation, t.spec::text AS template_json,
                   (extract(epoch FROM b.activate_not_before) * 1000)::int8 AS activate_not_before
            FROM site_binding b JOIN template_revision t ON t.name = b.template AND t.revision = b.revision""";
    private static final String PENDING = SELECT + " WHERE b.generation > b.published_generation LIMIT $1";
    private static final String ONE = SELECT + " WHERE b.site_id = $1";
    private static final String PUBLISHED = "UPDATE site_binding b SET published_generation = u.generation"
            + " FROM unnest($1::text[], $2::int8[]) AS u(site, generation)"
            + " WHERE b.site_id = u.site AND b.published_generation < u.generation";
    private static final String OVERRIDES = "UPDATE site_binding SET overrides = $2::text::jsonb,"
            + " generation = generation + 1, updated_at = now() WHERE site_id = $1 RETURNING generation";
    private static final String MATCHING = """
            SELECT DISTINCT ON (t.name) t.name FROM site s JOIN template_revision t
              ON s.labels @> (t.spec -> 'spec' -> 'selector') WHERE s.id = $1 ORDER BY t.name""";

    private final Pool pool;
    private final HubConfig config;

    public DesiredStore(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    public Uni<Integer> bind() {
        return pool.query(BIND).execute().map(r -> r.rowCount()).ifNoItem().after(config.dbTimeout()).fail();
    }

    public Uni<List<Binding>> pending(int limit) {
        return list(PENDING, Tuple.of(limit));
    }

    public Uni<Binding> get(String site) {
        return list(ONE, Tuple.of(site)).map(l -> l.isEmpty() ? null : l.get(0));
    }

    /** Templates whose selector matches the site's labels (to explain a missing binding); null: no such site. */
    public Uni<List<String>> matching(String site) {
        return pool.preparedQuery("SELECT 1 FROM site WHERE id = $1").execute(Tuple.of(site))
                .chain(rows -> rows.iterator().hasNext() ? matchingTemplates(site) : Uni.createFrom().nullItem());
    }

    private Uni<List<String>> matchingTemplates(String site) {
        return pool.preparedQuery(MATCHING).execute(Tuple.of(site)).map(rows -> {
            List<String> out = new ArrayList<>();
            rows.forEach(r -> out.add(r.getString("name")));
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    /** Marks what the broker acknowledged, in one statement per publishing round. */
    public Uni<Void> published(List<Binding> sent) {
        if (sent.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery(PUBLISHED).execute(Tuple.of(sent.stream().map(Binding::site).toArray(String[]::new),
                        sent.stream().map(Binding::generation).toArray(Long[]::new)))
                .ifNoItem().after(config.dbTimeout()).fail().replaceWithVoid();
    }

    /** Replaces the site's overrides; returns the new generation, or null without a binding. */
    public Uni<Long> overrides(String site, String overridesJson) {
        return pool.preparedQuery(OVERRIDES).execute(Tuple.of(site, overridesJson))
                .map(rows -> rows.iterator().hasNext() ? rows.iterator().next().getLong("generation") : null)
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    private Uni<List<Binding>> list(String sql, Tuple args) {
        return pool.preparedQuery(sql).execute(args).map(rows -> {
            List<Binding> out = new ArrayList<>();
            for (Row r : rows) {
                out.add(new Binding(r.getString("site_id"), r.getString("template"), r.getInteger("revision"),
                        r.getString("overrides"), r.getLong("generation"), r.getLong("published_generation"),
                        r.getString("template_json"), r.getLong("activate_not_before")));
            }
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }
}
