package io.geminik8s.hub.template;

import io.geminik8s.hub.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.core.SecurityContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.hub.api.ApiProblem;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Templates and their revisions: list, read, validate, add (a new revision), diff, and the folder's last scan. */
@Path("/api/v1/templates")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class TemplateResource {

    public record Summary(String name, int revision, String source, String createdBy, OffsetDateTime createdAt) {
    }

    public record Detail(String name, int revision, String source, String sha256, String createdBy,
                         OffsetDateTime createdAt, JsonNode spec, String yaml) {
    }

    public record Validation(boolean valid, List<String> problems) {
    }

    public record Diff(String name, int from, int to, List<TemplateDiff.Change> changes) {
    }

    private final TemplateStore store;
    private final TemplateFolder folder;
    private final ObjectMapper json;

    public TemplateResource(TemplateStore store, TemplateFolder folder, ObjectMapper json) {
        this.store = store;
        this.folder = folder;
        this.json = json;
    }

    @GET
    @Operation(summary = "Every template with its latest revision")
    public Uni<List<Summary>> list() {
        return store.latestOfEach().map(l -> l.stream().map(TemplateResource::summary).toList());
    }

    @GET
    @Path("{name}/revisions")
    @Operation(summary = "A template's revisions, oldest first")
    public Uni<List<Summary>> revisions(@PathParam("name") String name) {
        return store.revisions(name).map(l -> {
            if (l.isEmpty()) {
                throw ApiProblem.notFound("no template '" + name + "'");
            }
            return l.stream().map(TemplateResource::summary).toList();
        });
    }

    @GET
    @Path("{name}/revisions/{revision}")
    @Operation(summary = "One revision, with its YAML and parsed spec")
    public Uni<Detail> revision(@PathParam("name") String name, @PathParam("revision") int revision) {
        return store.revision(name, revision).map(r -> {
            if (r == null) {
                throw ApiProblem.notFound("no revision " + revision + " of template '" + name + "'");
            }
            return new Detail(r.name(), r.revision(), r.source(), r.sha256(), r.createdBy(), r.createdAt(),
                    json.valueToTree(TemplateLoader.load(name, r.yaml()).template()), r.yaml());
        });
    }

    @GET
    @Path("{name}/diff")
    @Operation(summary = "Field-level changes between two revisions")
    public Uni<Diff> diff(@PathParam("name") String name, @QueryParam("from") int from, @QueryParam("to") int to) {
        return revision(name, from).chain(a -> revision(name, to).map(b ->
                new Diff(name, from, to, TemplateDiff.between(a.spec(), b.spec()))));
    }

    @POST
    @Path("validate")
    @Consumes({"application/yaml", MediaType.TEXT_PLAIN})
    @Operation(summary = "Check a template without storing it", description = "Shape and rules; not the skew "
            + "against the stored revision (that is checked when it is added).")
    public Validation validate(String yaml) {
        var loaded = TemplateLoader.load("request", yaml);
        return new Validation(loaded.ok(), loaded.problems().stream().map(TemplateProblem::toString).toList());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Consumes({"application/yaml", MediaType.TEXT_PLAIN})
    @Operation(summary = "Add a template or a new revision", description = "201 with the new revision; 200 if the "
            + "content equals the latest revision; 422 with every problem otherwise.")
    public Uni<Response> add(String yaml, @jakarta.ws.rs.core.Context SecurityContext caller) {
        return store.add("request", yaml, "api", caller.getUserPrincipal().getName())
                .map(a -> a.revision() == null
                ? Response.status(422).type("application/problem+json").entity(new Problems(422,
                        "Template refused", a.problems().stream().map(TemplateProblem::toString).toList())).build()
                : Response.status(a.created() ? 201 : 200).entity(summary(a.revision())).build());
    }

    @GET
    @Path("folder")
    @Operation(summary = "The last scan of the templates folder (gk8s.templates.dir)")
    public TemplateFolder.Scan folder() {
        TemplateFolder.Scan s = folder.last();
        if (s == null) {
            throw ApiProblem.notFound("no folder scanned (gk8s.templates.dir unset, or the first scan is running)");
        }
        return s;
    }

    /** RFC 9457 with the list of problems. */
    public record Problems(int status, String title, List<String> problems) {
    }

    private static Summary summary(TemplateStore.Revision r) {
        return new Summary(r.name(), r.revision(), r.source(), r.createdBy(), r.createdAt());
    }
}
