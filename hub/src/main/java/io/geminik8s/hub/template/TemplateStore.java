package io.geminik8s.hub.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.Sha256;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Template revisions in PostgreSQL. Adding a template is idempotent (same content: the latest revision is returned)
 * and serialized per name (an advisory lock in the transaction), and a change must pass the version-skew rules
 * against the latest revision before it becomes the next one.
 */
@ApplicationScoped
public class TemplateStore {

    public record Revision(String name, int revision, String source, String sha256, String yaml, String createdBy,
                           OffsetDateTime createdAt) {
    }

    /** The outcome of an add: the revision, whether it is new, or the problems that refused it. */
    public record Added(Revision revision, boolean created, List<TemplateProblem> problems) {
    }

    private static final String COLUMNS = "name, revision, source, sha256, yaml, created_by, created_at";
    private static final String LATEST = "SELECT " + COLUMNS + " FROM template_revision WHERE name = $1"
            + " ORDER BY revision DESC LIMIT 1";
    private static final String LATEST_FROM = "SELECT " + COLUMNS + " FROM template_revision WHERE name = $1"
            + " AND source = $2 ORDER BY revision DESC LIMIT 1";
    private static final String INSERT = "INSERT INTO template_revision (name, revision, source, sha256, yaml, spec,"
            + " created_by) VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7) RETURNING " + COLUMNS;

    private final Pool pool;
    private final HubConfig config;
    private final ObjectMapper json;

    public TemplateStore(Pool pool, HubConfig config, ObjectMapper json) {
        this.pool = pool;
        this.config = config;
        this.json = json;
    }

    /** {@code file} names the text in problems; {@code source} is recorded with the revision. */
    public Uni<Added> add(String file, String yaml, String source, String by) {
        TemplateLoader.Loaded loaded = TemplateLoader.load(file, yaml);
        if (!loaded.ok()) {
            return Uni.createFrom().item(new Added(null, false, loaded.problems()));
        }
        SiteTemplate t = loaded.template();
        String name = t.metadata().name();
        String sha = Sha256.hex(yaml);
        String spec;
        try {
            spec = json.writeValueAsString(t);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT pg_advisory_xact_lock(hashtext($1))")
                .execute(Tuple.of("template:" + name))
                .chain(() -> tx.preparedQuery(LATEST_FROM).execute(Tuple.of(name, source)))
                .chain(fromSource -> {
                    // a folder file that has not changed since it was read is no news, even when the API has added
                    // revisions after it (else each scan would turn an API revision back into the file's)
                    Revision same = fromSource.iterator().hasNext() ? revision(fromSource.iterator().next()) : null;
                    if (same != null && source.startsWith("folder:") && same.sha256().equals(sha)) {
                        return Uni.createFrom().item(new Added(same, false, List.of()));
                    }
                    return tx.preparedQuery(LATEST).execute(Tuple.of(name)).chain(rows -> {
                    Revision latest = rows.iterator().hasNext() ? revision(rows.iterator().next()) : null;
                    if (latest != null && latest.sha256().equals(sha)) {
                        return Uni.createFrom().item(new Added(latest, false, List.of()));
                    }
                    if (latest != null) {
                        SiteTemplate previous = TemplateLoader.load(name, latest.yaml()).template();
                        List<TemplateProblem> skew = new ArrayList<>();
                        for (TemplateRules.Finding f : TemplateRules.checkChange(previous, t)) {
                            skew.add(TemplateLoader.problemAt(file, yaml, f.path(), f.message() + " (revision "
                                    + latest.revision() + " → " + (latest.revision() + 1) + ")"));
                        }
                        if (!skew.isEmpty()) {
                            return Uni.createFrom().item(new Added(null, false, skew));
                        }
                    }
                    int next = latest == null ? 1 : latest.revision() + 1;
                    return tx.preparedQuery(INSERT).execute(Tuple.from(new Object[] {name, next, source, sha, yaml,
                            spec, by})).map(r -> new Added(revision(r.iterator().next()), true, List.of()));
                    });
                })).ifNoItem().after(config.dbTimeout()).fail();
    }

    public Uni<List<Revision>> latestOfEach() {
        return list("SELECT DISTINCT ON (name) " + COLUMNS + " FROM template_revision ORDER BY name, revision DESC",
                Tuple.tuple());
    }

    public Uni<List<Revision>> revisions(String name) {
        return list("SELECT " + COLUMNS + " FROM template_revision WHERE name = $1 ORDER BY revision", Tuple.of(name));
    }

    public Uni<Revision> revision(String name, int revision) {
        return list("SELECT " + COLUMNS + " FROM template_revision WHERE name = $1 AND revision = $2",
                Tuple.of(name, revision)).map(l -> l.isEmpty() ? null : l.get(0));
    }

    private Uni<List<Revision>> list(String sql, Tuple args) {
        return pool.preparedQuery(sql).execute(args).map(rows -> {
            List<Revision> out = new ArrayList<>();
            rows.forEach(r -> out.add(revision(r)));
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    private static Revision revision(Row r) {
        return new Revision(r.getString("name"), r.getInteger("revision"), r.getString("source"),
                r.getString("sha256"), r.getString("yaml"), r.getString("created_by"), r.getOffsetDateTime("created_at"));
    }
}
