package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.pki.NodeCsr;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** An admin clears a node's recorded hardware identity (new hardware, a replaced board): its next request records one. */
@Path("/api/v1/enrollments/hardware")
@Produces(MediaType.APPLICATION_JSON)
public class HardwareResource {

    private final HardwareStore hardware;

    public HardwareResource(HardwareStore hardware) {
        this.hardware = hardware;
    }

    @DELETE
    @Path("/{site}/{node}")
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Clear a node's pinned or first recorded hardware identity",
            description = "200 {site, node, cleared: true}; the node's next enrollment or renewal that presents a"
                    + " hardware identity records it again. 404 when none is recorded.")
    public Uni<Map<String, Object>> clear(@PathParam("site") String site, @PathParam("node") String node) {
        if (!NodeCsr.ID.matcher(site).matches() || !NodeCsr.ID.matcher(node).matches()) {
            throw ApiProblem.badRequest("site, node: ids (a-z, 0-9, inner '-')");
        }
        return hardware.clear(site, node).map(cleared -> {
            if (!cleared) {
                throw ApiProblem.notFound("no hardware identity is recorded for " + site + "/" + node);
            }
            return Map.of("site", site, "node", node, "cleared", true);
        });
    }
}
