package io.geminik8s.hub.rollout;

import io.geminik8s.hub.api.Times;
import java.time.Instant;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.api.Paging;
import io.geminik8s.hub.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import io.geminik8s.hub.template.SiteTemplate;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.core.SecurityContext;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Rollouts: create, read (counts per state and per wave, sites by state, audit), and operator commands. */
@Path("/api/v1/rollouts")
@RolesAllowed(Roles.VIEWER)
public class RolloutResource {

    private static final Set<String> ACTIONS = Set.of("pause", "resume", "abort", "approve");

    /** A rollout as the API shows it. */
    public record View(long id, String template, Integer toRevision, JsonNode selector, JsonNode spec, String phase,
                       String reason, int openWave, int waves, Map<String, Integer> counts, JsonNode waveCounts,
                       String createdBy, Instant createdAt, Instant updatedAt, String kind) {
    }

    /**
     * {@code startedAt}, {@code healthySince}: absent while not yet; {@code reason}: why the site is not proven yet,
     * or why it failed (the health proof's words; absent when none).
     */
    public record SiteView(String site, int wave, String state, int previousRevision, Long targetGeneration,
                           Instant startedAt, Instant healthySince, String reason) {
    }

    /** {@code appliedAt}: absent until the driver acted on the command. */
    public record AuditView(long id, Instant at, String actor, String action, String detail, Instant appliedAt,
                            String outcome) {
    }

    public record Accepted(long rollout, long command, String action) {
    }

    private final Pool pool;
    private final RolloutStore store;
    private final ObjectMapper json;
    private final HubConfig config;
    private final RotationStore rotations;

    public RolloutResource(Pool pool, RolloutStore store, ObjectMapper json, HubConfig config,
                           RotationStore rotations) {
        this.rotations = rotations;
        this.pool = pool;
        this.store = store;
        this.json = json;
        this.config = config;
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Operation(summary = "Start a rollout of a template revision to the sites bound to the template that match the "
            + "selector, or (kind certificate-rotation) a rotation of the certificates of the selected sites' nodes, "
            + "standby first; 201 with the rollout, 409 while another rollout of the template (or another rotation) "
            + "runs")
    public Uni<Response> create(RolloutRequest req, @Context SecurityContext caller) {
        if (req == null) {
            throw ApiProblem.badRequest("a JSON body is required");
        }
        req.checkTarget();
        String by = caller.getUserPrincipal().getName();
        if (req.rotation()) {
            if (!caller.isUserInRole(Roles.ADMIN)) { // trust is the admin's, as claims and revocations are
                throw new ApiProblem(403, "Forbidden", "a certificate rotation needs the admin role");
            }
            return rotation(req, by);
        }
        return pool.preparedQuery("SELECT spec -> 'spec' -> 'rollout' AS defaults FROM template_revision"
                        + " WHERE name = $1 AND revision = $2").execute(Tuple.of(req.template(), req.toRevision()))
                .chain(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw new ApiProblem(422, "Unknown revision", "no revision " + req.toRevision()
                                + " of template '" + req.template() + "'");
                    }
                    SiteTemplate.RolloutDefaults d = defaults(rows.iterator().next().getJson("defaults"));
                    RolloutSpec spec = new RolloutSpec(req.resolve(d), req.resolveWindow(), req.resolvePrestage(),
                            null);
                    String selector = toJson(req.selector() == null ? Map.of() : req.selector());
                    return pool.withTransaction(tx -> store.candidates(tx, req.template(), selector, -1)
                            .chain(sites -> {
                                if (sites.isEmpty()) {
                                    throw new ApiProblem(422, "No sites", "no site bound to template '"
                                            + req.template() + "' matches the selector " + selector);
                                }
                                Map<String, Integer> current = new HashMap<>();
                                sites.forEach(s -> current.put(s[0], Integer.parseInt(s[1])));
                                RolloutEngine e = new RolloutEngine(req.toRevision(), spec.strategy(), current);
                                return store.insert(tx, req, selector, spec.toJson(json), e.header(), by)
                                        .call(id -> store.upsertSites(tx, id, e.drainDirty()))
                                        .call(id -> store.header(tx, id, 0, e.header(),
                                                RolloutSpec.countsJson(json, e.waveStateCounts())))
                                        .call(id -> store.audit(tx, id, by, "create", sites.size() + " sites, "
                                                + e.waves() + " waves", true));
                            }))
                            .onFailure(PgException.class).transform(this::conflict);
                })
                .chain(this::view)
                .map(v -> Response.status(201).entity(v).build())
                .ifNoItem().after(config.dbTimeout().multipliedBy(4)).fail();
    }

    private Uni<Response> rotation(RolloutRequest req, String by) {
        RolloutSpec spec = new RolloutSpec(req.resolve(ROTATION_DEFAULTS), req.resolveWindow(),
                java.time.Duration.ZERO, null);
        String selector = toJson(req.selector() == null ? Map.of() : req.selector());
        return pool.withTransaction(tx -> rotations.candidates(tx, selector, -1).chain(sites -> {
                    if (sites.isEmpty()) {
                        throw new ApiProblem(422, "No sites", "no site with an enrolled node matches the selector "
                                + selector);
                    }
                    Map<String, Integer> current = new HashMap<>();
                    sites.forEach(s -> current.put(s[0], 0));
                    RolloutEngine e = new RolloutEngine(RotationPlan.ROTATED, spec.strategy(), current);
                    return store.insert(tx, req, selector, spec.toJson(json), e.header(), by)
                            .call(id -> store.upsertSites(tx, id, e.drainDirty()))
                            .call(id -> store.header(tx, id, 0, e.header(),
                                    RolloutSpec.countsJson(json, e.waveStateCounts())))
                            .call(id -> store.audit(tx, id, by, "create", "certificate rotation: " + sites.size()
                                    + " sites, " + e.waves() + " waves", true));
                }))
                .onFailure(PgException.class).transform(this::conflict)
                .chain(this::view)
                .map(v -> Response.status(201).entity(v).build())
                .ifNoItem().after(config.dbTimeout().multipliedBy(4)).fail();
    }

    /** A rotated site has nothing to soak: it is done once both nodes are back with their new certificates. */
    private static final SiteTemplate.RolloutDefaults ROTATION_DEFAULTS = new SiteTemplate.RolloutDefaults(null,
            null, 0, null, null, null);

    @GET
    @Operation(summary = "Rollouts, newest first; ?phase=running|paused|aborted|succeeded")
    public Uni<List<View>> list(@QueryParam("phase") String phase, @QueryParam("limit") String limit) {
        int n = Paging.intParam("limit", limit, 100, 1, 1000);
        return store.stored(pool, "SELECT " + RolloutStore.COLUMNS + " FROM rollout WHERE ($1::text IS NULL OR"
                + " phase = $1) ORDER BY id DESC LIMIT $2", Tuple.of(phase, n))
                .map(l -> l.stream().map(this::toView).toList());
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One rollout with its counts per state and per wave")
    public Uni<View> get(@PathParam("id") long id) {
        return view(id);
    }

    @GET
    @Path("{id}/sites")
    @Operation(summary = "The rollout's sites, by site id; ?state=failed … ?after=<site id> pages on")
    public Uni<List<SiteView>> sites(@PathParam("id") long id, @QueryParam("state") String state,
                                     @QueryParam("after") String after, @QueryParam("limit") String limit) {
        int n = Paging.intParam("limit", limit, 500, 1, 5000);
        if (state != null) {
            try {
                SiteState.valueOf(state.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest("state must be one of " + List.of(SiteState.values()).toString()
                        .toLowerCase(Locale.ROOT) + ", got '" + state + "'");
            }
        }
        return view(id).chain(v -> pool.preparedQuery("SELECT site_id, wave, state, previous_revision,"
                + " target_generation, started_at, healthy_since, reason FROM rollout_site WHERE rollout_id = $1"
                + " AND ($2::text IS NULL OR state = $2) AND site_id > $3 ORDER BY site_id LIMIT $4")
                .execute(Tuple.of(id, state == null ? null : state.toLowerCase(Locale.ROOT),
                        after == null ? "" : after, n))
                .map(rows -> {
                    List<SiteView> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new SiteView(r.getString("site_id"), r.getInteger("wave"),
                            r.getString("state"), r.getInteger("previous_revision"), r.getLong("target_generation"),
                            Times.epochMs(r.getLong("started_at")), Times.epochMs(r.getLong("healthy_since")),
                            r.getString("reason"))));
                    return out;
                }));
    }

    @GET
    @Path("{id}/audit")
    @Operation(summary = "Who did what to the rollout, and what the hub decided (pauses, aborts, success)")
    public Uni<List<AuditView>> audit(@PathParam("id") long id) {
        return view(id).chain(v -> pool.preparedQuery("SELECT id, at, actor, action, detail,"
                + " applied_at, outcome FROM rollout_audit WHERE rollout_id = $1 ORDER BY id")
                .execute(Tuple.of(id)).map(rows -> {
                    List<AuditView> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new AuditView(r.getLong("id"), Times.instant(r.getOffsetDateTime("at")),
                            r.getString("actor"), r.getString("action"), r.getString("detail"),
                            Times.instant(r.getOffsetDateTime("applied_at")),
                            r.getString("outcome"))));
                    return out;
                }));
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("{id}/{action}")
    @Operation(summary = "pause | resume | abort | approve (the next wave), ?reason=…: recorded in the audit and carried out "
            + "by the driving hub at its next tick; 202, 409 when it would do nothing (finished, already paused, "
            + "running and resumed, no wave waiting for approval)")
    public Uni<Response> command(@PathParam("id") long id, @PathParam("action") String action,
                                 @QueryParam("reason") String reason, @Context SecurityContext caller) {
        if (!ACTIONS.contains(action)) {
            throw new ApiProblem(404, "Not found", "no action '" + action + "'; one of " + ACTIONS);
        }
        String by = caller.getUserPrincipal().getName();
        // one command at a time per rollout (row lock), judged against the commands accepted before it
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT id FROM rollout WHERE id = $1 FOR UPDATE")
                .execute(Tuple.of(id)).chain(() -> store.stored(tx, "SELECT " + RolloutStore.COLUMNS
                        + " FROM rollout WHERE id = $1", Tuple.of(id)))
                .chain(l -> {
                    if (l.isEmpty()) {
                        throw ApiProblem.notFound("no rollout " + id);
                    }
                    return store.commands(tx, id).map(pending -> RolloutVerbs.afterPending(l.get(0).header(),
                            pending.stream().map(RolloutStore.Command::action).toList()));
                })
                .chain(h -> {
                    String nothing = RolloutVerbs.nothingToDo(action, h);
                    if (nothing != null) {
                        throw new ApiProblem(409, "Conflict", "rollout " + id + ": " + nothing);
                    }
                    return store.audit(tx, id, by, action, reason, false);
                }))
                .map(cmd -> Response.accepted(new Accepted(id, cmd, action)).build());
    }

    private Uni<View> view(long id) {
        return stored(id).map(this::toView);
    }

    private Uni<RolloutStore.Stored> stored(long id) {
        return store.stored(pool, "SELECT " + RolloutStore.COLUMNS + " FROM rollout WHERE id = $1", Tuple.of(id))
                .map(l -> {
                    if (l.isEmpty()) {
                        throw ApiProblem.notFound("no rollout " + id);
                    }
                    return l.get(0);
                });
    }

    private View toView(RolloutStore.Stored s) {
        try {
            JsonNode waves = json.readTree(s.countsJson());
            Map<String, Integer> totals = new java.util.LinkedHashMap<>();
            for (SiteState st : SiteState.values()) {
                totals.put(st.name().toLowerCase(Locale.ROOT), 0);
            }
            waves.forEach(w -> w.fields().forEachRemaining(f -> totals.merge(f.getKey(), f.getValue().asInt(),
                    Integer::sum)));
            return new View(s.id(), s.template(), s.rotation() ? null : s.toRevision(), json.readTree(s.selectorJson()),
                    json.readTree(s.specJson()), s.header().phase().name().toLowerCase(Locale.ROOT),
                    s.header().reason(), s.header().openWave(), s.header().waves(), totals, waves, s.createdBy(),
                    s.createdAt(), s.updatedAt(), s.kind());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private SiteTemplate.RolloutDefaults defaults(Object node) {
        try {
            return node == null ? null : json.readValue(node.toString(), SiteTemplate.RolloutDefaults.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Throwable conflict(Throwable e) {
        if (e instanceof PgException pg && "23505".equals(pg.getSqlState())) {
            return new ApiProblem(409, "Conflict", "a rollout of this template (or a certificate rotation) is"
                    + " already running or paused");
        }
        return e;
    }
}
