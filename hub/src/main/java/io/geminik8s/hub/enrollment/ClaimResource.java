package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.pki.NodeCsr;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Consumes;
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

    /**
     * Optional: the pair's addresses on the site LAN and its VIP, handed to each node when it enrolls; whether each
     * node needs approval; each node's hardware identity to pin ({@code hardware}: node id to identity).
     */
    public record ClaimRequest(String vip, java.util.Map<String, String> nodes, Boolean approval,
                               java.util.Map<String, String> hardware) {
        public ClaimRequest {
            nodes = nodes == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(nodes));
            hardware = hardware == null ? null
                    : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(hardware));
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final ClaimStore claims;
    private final EnrollmentConfig config;

    public ClaimResource(ClaimStore claims, EnrollmentConfig config) {
        this.claims = claims;
        this.config = config;
    }

    @POST
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Claim a site: a one-time token that enrolls its two nodes",
            description = "201 with the token, shown only here (the hub keeps its SHA-256). Each of the site's two"
                    + " nodes enrolls with it once at POST /enroll/v1 until it expires (gk8s.enrollment.claim-lifetime)."
                    + " With a body {vip, nodes: {id: address}} only those two nodes may enroll, and each gets its"
                    + " peer's address, the VIP and the site's peer-link key. With approval=true each node enrolls only"
                    + " after an admin approved its request (POST /api/v1/enrollments/requests/{site}/{node}/approve)."
                    + " With hardware: {id: identity} each named node enrolls and renews only with that hardware identity.")
    @Consumes(MediaType.WILDCARD) // a claim without a pair has no body, and clients send it with any content type
    public Uni<Response> claim(@PathParam("id") String site, String text, @Context SecurityContext caller) {
        ClaimRequest body = parse(text);
        if (!NodeCsr.ID.matcher(site).matches()) {
            throw ApiProblem.badRequest("id: a site id is lower case a-z, 0-9 and inner '-', at most 63 characters");
        }
        String token = ClaimToken.generate();
        Instant now = Instant.now();
        Instant expires = now.plus(config.claimLifetime());
        String by = caller.getUserPrincipal() == null ? "anonymous" : caller.getUserPrincipal().getName();
        boolean approval = body != null && Boolean.TRUE.equals(body.approval());
        java.util.Map<String, HardwareId> pins = pins(body);
        SitePair pair = body == null || (body.vip() == null && body.nodes() == null) ? null
                : new SitePair(body.vip(), body.nodes()).checked();
        return claims.claim(new ClaimStore.NewClaim(site, pair, pins, ClaimToken.hashOf(token), by, now, expires,
                approval)).map(v -> Response.status(201)
                .entity(new Claim(site, token, expires, 2, "gk8s-claim:v1:" + site + ":" + token)).build());
    }

    /**
     * The hardware identities to pin, checked: node ids (of the pair, if the claim names it; else of the site's stored
     * pair, if any: {@link ClaimStore}), at most two.
     */
    private static java.util.Map<String, HardwareId> pins(ClaimRequest body) {
        if (body == null || body.hardware() == null) {
            return java.util.Map.of();
        }
        if (body.hardware().size() > 2) {
            throw ApiProblem.badRequest("hardware: at most two nodes, each node id with its hardware identity");
        }
        java.util.Map<String, HardwareId> out = new java.util.TreeMap<>();
        body.hardware().forEach((node, id) -> {
            if (node == null || !NodeCsr.ID.matcher(node).matches()) {
                throw ApiProblem.badRequest("hardware: '" + shown(node)
                        + "' is not a node id (a-z, 0-9, inner '-')");
            }
            if (body.nodes() != null && !body.nodes().containsKey(node)) {
                throw ApiProblem.badRequest("hardware: '" + node + "' is not one of the pair's nodes");
            }
            HardwareId parsed = HardwareId.parse(id, "hardware." + node);
            if (parsed == null) {
                throw ApiProblem.badRequest("hardware." + node + ": 1 to " + HardwareId.MAX_CHARS + " characters");
            }
            out.put(node, parsed);
        });
        return out;
    }

    private static String shown(String node) {
        String s = String.valueOf(node).replaceAll("[^\\x20-\\x7e]", "?");
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }

    private static ClaimRequest parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return JSON.readValue(text, ClaimRequest.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiProblem.badRequest("body: a JSON object {\"vip\": \"10.0.0.10/24\", \"nodes\": {\"a\": \"10.0.0.1\","
                    + " \"b\": \"10.0.0.2\"}} or nothing (" + e.getOriginalMessage() + ")");
        }
    }
}
