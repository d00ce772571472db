package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.pki.CsrRefused;
import io.geminik8s.hub.pki.FleetCa;
import io.geminik8s.hub.pki.NodeCsr;
import io.geminik8s.hub.pki.Pem;
import io.geminik8s.hub.pki.PkiConfig;
import io.geminik8s.hub.pki.RenewalProof;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.security.PermitAll;
import jakarta.inject.Provider;
import jakarta.ws.rs.Consumes;
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
 * A node renews its certificate before it expires, with a new key, proving it holds its current, unrevoked
 * certificate ({@link RenewalProof}); no claim token is involved.
 */
@Path("/enroll/v1/renew")
@PermitAll
@SecurityRequirements
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RenewResource {

    /**
     * {@code signature}: base64 SHA256withECDSA by the current key over {@link RenewalProof#payload};
     * {@code hardwareId} as at enrollment (optional; not part of the proof: the node says it about itself either way).
     */
    public record RenewRequest(String site, String node, String csr, String certificate, long timestamp,
                               String signature, String hardwareId) {
    }

    private record Signed(String from, FleetCa.Issued issued, HardwareId hardware) {
    }

    private static final Logger LOG = Logger.getLogger(RenewResource.class);
    private final Provider<FleetCa> ca;
    private final EnrollmentStore store;
    private final PkiConfig pki;
    private final EnrollmentConfig config;
    private final Refusals refusals;

    public RenewResource(Provider<FleetCa> ca, EnrollmentStore store, PkiConfig pki, EnrollmentConfig config,
                         Refusals refusals) {
        this.refusals = refusals;
        this.ca = ca;
        this.store = store;
        this.pki = pki;
        this.config = config;
    }

    @POST
    @Operation(summary = "Renew a node's certificate with a new key, proving possession of the current one",
            description = "200 as POST /enroll/v1; 400 for a refused request; 401 when the current certificate is"
                    + " not this fleet's, expired, revoked, another node's, or the proof does not verify; 403 for a"
                    + " hardwareId other than the node's pinned or first recorded one.")
    public Uni<EnrollResource.Enrolled> renew(RenewRequest req, @Context HttpServerRequest http) {
        String address = String.valueOf(http.remoteAddress());
        if (req == null || req.site() == null || req.node() == null) {
            return refusals.watch("renew", "?", address, Uni.createFrom().failure(ApiProblem.badRequest(
                    "site, node, csr, certificate, timestamp and signature are required")));
        }
        return refusals.watch("renew", req.site() + "/" + req.node(), address, Uni.createFrom().item(() -> sign(req)).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .ifNoItem().after(config.signTimeout()).fail()
                .chain(s -> {
                    var c = s.issued().certificate();
                    var e = new EnrollmentStore.Enrollment(s.issued().serialHex(), req.site(), req.node(),
                            c.getNotBefore().toInstant(), c.getNotAfter().toInstant(), Instant.now(), null,
                            HardwareId.of(s.hardware()));
                    return store.renew(s.from(), e).map(v -> {
                        LOG.infof("renewed %s/%s: certificate %s until %s (was %s), hardware %s", e.site(), e.node(),
                                e.serial(), e.notAfter(), s.from(), e.hardwareId() == null ? "none presented"
                                        : e.hardwareId());
                        return new EnrollResource.Enrolled(e.site(), e.node(), e.serial(), e.notAfter(),
                                Pem.certificates(s.issued().chain()), Pem.certificates(List.of(ca.get().root())), null);
                    });
                }));
    }

    private Signed sign(RenewRequest req) {
        String from;
        try {
            from = RenewalProof.verify(ca.get(), req.site(), req.node(), req.certificate(), req.csr(),
                    req.timestamp(), req.signature(), Instant.now());
        } catch (CsrRefused e) {
            throw EnrollmentStore.unauthorized(e.getMessage());
        }
        HardwareId hardware = HardwareId.parse(req.hardwareId(), "hardwareId"); // after the proof: 400 only to its holder
        try {
            NodeCsr csr = NodeCsr.check(req.csr(), req.site(), req.node());
            if (csr.publicKey().equals(Pem.readCertificates(req.certificate()).get(0).getPublicKey())) {
                throw ApiProblem.badRequest("csr: a renewal needs a new key");
            }
            return new Signed(from, ca.get().issueNode(csr, pki.nodeLifetime()), hardware);
        } catch (CsrRefused e) {
            throw ApiProblem.badRequest("csr: " + e.getMessage());
        }
    }
}
