package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.pki.NodeCsr;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Claiming a site (admin). */
@Path("/api/v1/sites/{id}/claims")
@Produces(MediaType.APPLICATION_JSON)
public class ClaimResource {

    /**
     * A new claim. {@code token} is shown this once; {@code printable} is the line to print on a label or encode
     * as a QR code for the site's installer.
     */
    public record Claim(String site, String token, Instant expiresAt, int nodes, String printable) {
    }

    private final EnrollmentStore store;
    private final EnrollmentConfig config;

    public ClaimResource(EnrollmentStore store, EnrollmentConfig config) {
        this.store = store;
        this.config = config;
    }

    @POST
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Claim a site: a one-time token that enrolls its two nodes",
            description = "201 with the token, shown only here (the hub keeps its SHA-256). Each of the site's two"
                    + " nodes enrolls with it once at POST /enroll/v1 until it expires (gk8s.enrollment.claim-lifetime).")
    public Uni<Response> claim(@PathParam("id") String site, @Context SecurityContext caller) {
        if (!NodeCsr.ID.matcher(site).matches()) {
            throw ApiProblem.badRequest("id: a site id is lower case a-z, 0-9 and inner '-', at most 63 characters");
        }
        String token = ClaimToken.generate();
        Instant now = Instant.now();
        Instant expires = now.plus(config.claimLifetime());
        String by = caller.getUserPrincipal() == null ? "anonymous" : caller.getUserPrincipal().getName();
        return store.claim(ClaimToken.hashOf(token), site, by, now, expires).map(v -> Response.status(201)
                .entity(new Claim(site, token, expires, 2, "gk8s-claim:v1:" + site + ":" + token)).build());
    }
}
