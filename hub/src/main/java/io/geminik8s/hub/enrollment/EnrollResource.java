package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.pki.CsrRefused;
import io.geminik8s.hub.pki.FleetCa;
import io.geminik8s.hub.pki.NodeCsr;
import io.geminik8s.hub.pki.Pem;
import io.geminik8s.hub.pki.PkiConfig;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.security.PermitAll;
import jakarta.inject.Provider;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import io.vertx.core.http.HttpServerRequest;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirements;
import org.jboss.logging.Logger;

/**
 * Where a node with empty state enrolls: the claim token in {@value #CLAIM_HEADER} is its only credential (no API
 * token is asked for or honoured here, and a claim token opens nothing else). The request is checked and signed
 * before the claim is spent, so a bad request does not use up the token.
 */
@Path("/enroll/v1")
@PermitAll
@SecurityRequirements
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class EnrollResource {

    public static final String CLAIM_HEADER = "X-Gk8s-Claim";
    private static final Logger LOG = Logger.getLogger(EnrollResource.class);

    /**
     * What a node sends: its identity, a PEM PKCS#10 request for {@code CN=<site>/<node>} and, where the node has
     * one, its hardware identity ({@link HardwareId}; optional).
     */
    public record EnrollRequest(String site, String node, String csr, String hardwareId) {
    }

    /**
     * The node's certificate and the intermediate ({@code chain}), the fleet root to trust ({@code ca}), and — when
     * the claim named the pair — the node's view of its site's pair ({@code pair}: peer, peer address, VIP, key).
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Enrolled(String site, String node, String serial, Instant notAfter, String chain, String ca,
                           SitePair.ForNode pair) {
    }

    /** Where a node's peer link listens: the agent's default {@code ha.listen} port. */
    static final int PEER_PORT = 7946;

    private final Provider<FleetCa> ca;
    private final EnrollmentStore store;
    private final PkiConfig pki;
    private final EnrollmentConfig config;
    private final Refusals refusals;
    private final SitePairStore pairs;
    private final ApprovalStore approvals;
    private final HardwareStore hardware;

    public EnrollResource(Provider<FleetCa> ca, EnrollmentStore store, PkiConfig pki, EnrollmentConfig config,
                          Refusals refusals, SitePairStore pairs, ApprovalStore approvals, HardwareStore hardware) {
        this.hardware = hardware;
        this.refusals = refusals;
        this.pairs = pairs;
        this.approvals = approvals;
        this.ca = ca;
        this.store = store;
        this.pki = pki;
        this.config = config;
    }

    @POST
    @Operation(summary = "Enroll a node with a claim token (header X-Gk8s-Claim)",
            description = "200 with the certificate chain; 400 for a refused request (P-256 only, subject exactly"
                    + " CN=<site>/<node>; hardwareId malformed), 401 for a missing, unknown, expired or spent token,"
                    + " 403 for another site's or a hardwareId other than the node's pinned or first recorded one;"
                    + " 202 while a claim made with approval waits for an admin to approve this node.")
    public Uni<Enrolled> enroll(@HeaderParam(CLAIM_HEADER) String token, EnrollRequest req,
                                @Context HttpServerRequest http) {
        String address = String.valueOf(http.remoteAddress());
        String hash = ClaimToken.hashOf(token);
        String who = req == null ? "?" : req.site() + "/" + req.node();
        if (hash == null) {
            return refusals.watch("enroll", who, address, Uni.createFrom().failure(EnrollmentStore.unauthorized(
                    "a claim token (header " + CLAIM_HEADER + ") is required")));
        }
        if (req == null || req.site() == null || req.node() == null) {
            return refusals.watch("enroll", who, address, Uni.createFrom().failure(
                    ApiProblem.badRequest("site, node and csr are required")));
        }
        if (req.csr() != null && req.csr().length() > NodeCsr.MAX_PEM_CHARS) {
            return refusals.watch("enroll", who, address, Uni.createFrom().failure(new ApiProblem(413,
                    "Content too large", "csr: at most " + NodeCsr.MAX_PEM_CHARS + " characters")));
        }
        // the token first: nothing is verified or signed for a caller without a usable claim
        java.util.concurrent.atomic.AtomicReference<SitePair.ForNode> pair = new java.util.concurrent.atomic.AtomicReference<>();
        return refusals.watch("enroll", req.site() + "/" + req.node(), address, store.usable(hash, req.site(),
                        System.currentTimeMillis())
                .chain(() -> pairs.load(req.site())).invoke(stored -> stored.ifPresent(p -> {
                    if (!p.pair().nodes().containsKey(req.node())) {
                        throw new ApiProblem(403, "Forbidden", "node '" + req.node() + "' is not one of the site's"
                                + " two nodes (" + String.join(", ", p.pair().nodes().keySet()) + ")");
                    }
                    pair.set(p.pair().forNode(req.node(), p.peerKey(), p.pgSecret(), PEER_PORT));
                }))
                .chain(() -> hardware.check(req.site(), req.node(), HardwareId.parse(req.hardwareId(), "hardwareId")))
                .chain(() -> approvals.admitted(hash, req.site(), req.node(), address, System.currentTimeMillis()))
                .invoke(admitted -> {
                    if (!admitted) { // recorded; the node asks again with its backoff
                        throw new ApiProblem(202, "Accepted", "waiting for an admin to approve " + req.site() + "/"
                                + req.node() + " (gk8s site approve " + req.site() + " " + req.node() + ")");
                    }
                })
                .chain(() -> Uni.createFrom().item(() -> sign(req)).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                        .ifNoItem().after(config.signTimeout()).fail())
                .chain(issued -> {
                    var c = issued.certificate();
                    var e = new EnrollmentStore.Enrollment(issued.serialHex(), req.site(), req.node(),
                            c.getNotBefore().toInstant(), c.getNotAfter().toInstant(), Instant.now(), null,
                            HardwareId.of(HardwareId.parse(req.hardwareId(), "hardwareId")));
                    return store.enroll(hash, e).map(v -> {
                        LOG.infof("enrolled %s/%s, certificate serial %s until %s, hardware %s", e.site(), e.node(),
                                e.serial(), e.notAfter(), e.hardwareId() == null ? "none presented" : e.hardwareId());
                        return new Enrolled(e.site(), e.node(), e.serial(), e.notAfter(), Pem.certificates(issued.chain()),
                                Pem.certificates(List.of(ca.get().root())), pair.get());
                    });
                }));
    }

    private FleetCa.Issued sign(EnrollRequest req) {
        try {
            NodeCsr csr = NodeCsr.check(req.csr(), req.site(), req.node());
            return ca.get().issueNode(csr, pki.nodeLifetime());
        } catch (CsrRefused e) {
            throw ApiProblem.badRequest("csr: " + e.getMessage());
        }
    }
}
