package io.geminik8s.hub.noc;

import io.geminik8s.hub.auth.Roles;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** What the NOC view reads beyond the fleet API: who is looking, the counts, the alerts, the live stream. */
@Path("/api/v1/noc")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class NocResource {

    private final NocFeed feed;
    private final NocSummary summary;
    private final NocAlerts alerts;
    private final NocMap map;
    private final SecurityIdentity identity;

    public NocResource(NocFeed feed, NocSummary summary, NocAlerts alerts, NocMap map, SecurityIdentity identity) {
        this.feed = feed;
        this.summary = summary;
        this.alerts = alerts;
        this.map = map;
        this.identity = identity;
    }

    public record Me(String name, String role, boolean canAct) {
    }

    @GET
    @Path("me")
    @Operation(summary = "The caller's name and highest role", description = "The page shows actions only when canAct.")
    public Me me() {
        String role = Roles.VIEWER;
        for (String r : List.of(Roles.OPERATOR, Roles.ADMIN)) {
            if (identity.hasRole(r)) {
                role = r;
            }
        }
        return new Me(identity.getPrincipal().getName(), role, !role.equals(Roles.VIEWER));
    }

    @GET
    @Path("summary")
    @Operation(summary = "Sites by status", description = "healthy, degraded, split, offline, pending and total.")
    public Uni<Map<String, Long>> summary() {
        return summary.counts();
    }

    @GET
    @Path("alerts")
    @Operation(summary = "Split and offline sites, certificates near expiry, paused rollouts")
    public Uni<Map<String, NocAlerts.Group>> alerts() {
        return alerts.all();
    }

    @GET
    @Path("map")
    @Operation(summary = "Sites by location", description = "Labels lat and lon, per cell of one degree and status.")
    public Uni<NocMap.Located> map() {
        return map.cells();
    }

    @GET
    @Path("stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    @Operation(summary = "Live fleet updates (server-sent events)",
            description = "JSON per event: the counts, changed site ids, rollouts changed; at most one a second.")
    public Multi<String> stream() {
        return feed.subscribe();
    }
}
