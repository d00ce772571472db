package io.geminik8s.hub.desired;

import io.geminik8s.hub.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.protocol.Codec;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** A site's binding to a template revision, its overrides and the desired state the hub publishes. */
@Path("/api/v1/sites/{id}")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class DesiredResource {

    /** {@code matching}/{@code reason} explain a site without a binding. */
    public record DesiredView(String site, String template, Integer revision, JsonNode overrides, Long generation,
                              Long publishedGeneration, JsonNode spec, List<String> matching, String reason) {
    }

    private final DesiredStore store;
    private final ObjectMapper json;
    private final Codec codec;
    private final DesiredConfig config;

    public DesiredResource(DesiredStore store, ObjectMapper json, Codec codec, DesiredConfig config) {
        this.store = store;
        this.json = json;
        this.codec = codec;
        this.config = config;
    }

    @GET
    @Path("desired")
    @Operation(summary = "The site's template revision, overrides and desired state",
            description = "Without a binding: the templates whose selector matches (none, or more than one).")
    public Uni<DesiredView> get(@PathParam("id") String id) {
        return store.get(id).chain(b -> {
            if (b != null) {
                return Uni.createFrom().item(view(b));
            }
            return store.matching(id).map(m -> m == null ? null : new DesiredView(id, null, null, null, null, null, null, m,
                    m.isEmpty() ? "no template's selector matches the site's labels"
                            : m.size() > 1 ? "more than one template matches: " + String.join(", ", m)
                            + "; make the selectors exclusive" : "binding on the next publish interval"))
                    .onItem().ifNull().failWith(() -> ApiProblem.notFound("no site '" + id + "'"));
        });
    }

    @PUT
    @RolesAllowed(Roles.OPERATOR)
    @Path("overrides")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace the site's overrides (e.g. {\"vip\": {\"address\": \"10.1.2.10\"}})",
            description = "Merged over the template revision's spec; a new generation is published.")
    public Uni<DesiredView> overrides(@PathParam("id") String id, JsonNode overrides) {
        if (overrides == null || !overrides.isObject()) {
            throw ApiProblem.badRequest("overrides must be a JSON object");
        }
        if (overrides.has("template") || overrides.has("revision")) {
            throw ApiProblem.badRequest("template and revision are chosen by binding and rollouts, not overrides");
        }
        String text;
        try {
            text = json.writeValueAsString(overrides);
        } catch (JsonProcessingException e) {
            throw ApiProblem.badRequest(e.getOriginalMessage());
        }
        return store.get(id).chain(b -> {
            if (b == null) {
                throw ApiProblem.notFound("site '" + id + "' is not bound to a template");
            }
            checkSize(b, overrides);
            return store.overrides(id, text);
        }).chain(g -> {
            if (g == null) {
                throw ApiProblem.notFound("site '" + id + "' is not bound to a template");
            }
            return get(id);
        });
    }

    private void checkSize(DesiredStore.Binding b, JsonNode overrides) {
        int bytes;
        try {
            bytes = DesiredPublisher.payload(codec, json, b, overrides, b.generation() + 1).length;
        } catch (JsonProcessingException e) {
            throw ApiProblem.badRequest(e.getOriginalMessage());
        }
        if (bytes > config.maxBytes()) {
            throw new ApiProblem(413, "Desired state too large", "with these overrides the desired state of site '"
                    + b.site() + "' is " + bytes + " bytes; the broker carries at most " + config.maxBytes()
                    + " (gk8s.desired.max-bytes)");
        }
    }

    private DesiredView view(DesiredStore.Binding b) {
        try {
            JsonNode overrides = json.readTree(b.overrides());
            return new DesiredView(b.site(), b.template(), b.revision(), overrides, b.generation(),
                    b.publishedGeneration(), DesiredSpec.compose(json, b.template(), b.revision(),
                    json.readTree(b.templateJson()), overrides), null, null);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
