package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.pki.NodeCsr;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The optional approval step: nodes waiting under a claim made with approval, and an admin approving one. */
@Path("/api/v1/enrollments/requests")
@Produces(MediaType.APPLICATION_JSON)
public class ApprovalResource {

    private final ApprovalStore approvals;

    public ApprovalResource(ApprovalStore approvals) {
        this.approvals = approvals;
    }

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "Enrollment requests under claims made with approval, newest first (approvedAt null: waiting)")
    public Uni<List<ApprovalStore.Request>> requests(@QueryParam("site") String site) {
        if (site != null && !NodeCsr.ID.matcher(site).matches()) {
            throw ApiProblem.badRequest("site: a site id");
        }
        return approvals.list(site);
    }

    @POST
    @Path("/{site}/{node}/approve")
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Approve a waiting node: its next enrollment attempt gets its certificate",
            description = "404 when the node has no waiting request under a claim that can still enroll it.")
    public Uni<Map<String, String>> approve(@PathParam("site") String site, @PathParam("node") String node,
                                            @Context SecurityContext caller) {
        if (!NodeCsr.ID.matcher(site).matches() || !NodeCsr.ID.matcher(node).matches()) {
            throw ApiProblem.badRequest("site, node: ids (a-z, 0-9, inner '-')");
        }
        String by = caller.getUserPrincipal() == null ? "anonymous" : caller.getUserPrincipal().getName();
        return approvals.approve(site, node, by, System.currentTimeMillis()).map(ok -> {
            if (!ok) {
                throw new ApiProblem(404, "Not Found", "no enrollment request of " + site + "/" + node
                        + " waits for approval (the node asks first; see GET /api/v1/enrollments/requests)");
            }
            return Map.of("site", site, "node", node, "approvedBy", by);
        });
    }
}
