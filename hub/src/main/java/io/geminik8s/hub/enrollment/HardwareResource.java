package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.api.Paging;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.pki.NodeCsr;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

/**
 * The hardware identities recorded per node (viewer), and an admin clearing one (new hardware, a replaced board): the
 * node's next request that presents one records it.
 */
@Path("/api/v1/enrollments/hardware")
@Produces(MediaType.APPLICATION_JSON)
public class HardwareResource {

    private final HardwareStore hardware;

    public HardwareResource(HardwareStore hardware) {
        this.hardware = hardware;
    }

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "Recorded hardware identities per node (pinned by a claim, or recorded at first use)",
            description = "Paged as GET /api/v1/sites: {items, page, size, total}, ordered by site and node.")
    public Uni<HardwareStore.Page> recorded(@QueryParam("site") String site,
            @Parameter(description = "0-based page, default 0") @QueryParam("page") String pageParam,
            @Parameter(description = "page size 1..500, default 50") @QueryParam("size") String sizeParam,
            @jakarta.ws.rs.core.Context jakarta.ws.rs.core.SecurityContext caller) {
        if (site != null && !NodeCsr.ID.matcher(site).matches()) {
            throw ApiProblem.badRequest("site: a site id");
        }
        int page = Paging.intParam("page", pageParam, 0, 0, 1_000_000);
        int size = Paging.intParam("size", sizeParam, 50, 1, 500);
        return hardware.list(site, page, size).map(p -> new HardwareStore.Page(p.items().stream().map(r ->
                new HardwareStore.Recorded(r.site(), r.node(), HardwareId.shown(r.hardwareId(), caller), r.pinned(),
                        r.recordedAt())).toList(), p.page(), p.size(), p.total()));
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
