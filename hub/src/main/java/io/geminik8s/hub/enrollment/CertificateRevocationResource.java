package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.ingest.IngestClient;
import io.geminik8s.hub.pki.FleetCa;
import io.geminik8s.hub.pki.Pem;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Provider;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * Revoking any certificate the fleet intermediate issued, by serial (admin): a node's, the hub's own client
 * certificate once the hub runs with a newer one, or another one handed in as PEM. Listed in the CRL and told to the
 * embedded broker like a node's revocation ({@link RevocationResource}); refused for the certificate this hub uses.
 */
@Path("/api/v1/pki/revocations")
@Produces(MediaType.APPLICATION_JSON)
public class CertificateRevocationResource {

    /** {@code certificate}: optional PEM, needed only for a certificate the hub has no record of. */
    public record Request(String serial, String reason, String certificate) {
    }

    /** {@code broker}: the broker acknowledged the revocation. */
    public record Revoked(String serial, String subject, String site, String node, Instant revokedAt, String reason,
                          String revokedBy, boolean broker) {
    }

    private static final Pattern HEX = Pattern.compile("[0-9a-f]{1,40}");
    /** 1 to 256 code points, none a control, format (e.g. bidi override) or line/paragraph separator character. */
    private static final Pattern REASON = Pattern.compile("[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]{1,256}");
    private static final Logger LOG = Logger.getLogger(CertificateRevocationResource.class);

    private final CertificateStore store;
    private final HubCertificate hub;
    private final Provider<FleetCa> ca;
    private final IngestClient mqtt;

    public CertificateRevocationResource(CertificateStore store, HubCertificate hub, Provider<FleetCa> ca,
                                         IngestClient mqtt) {
        this.store = store;
        this.hub = hub;
        this.ca = ca;
        this.mqtt = mqtt;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Revoke any certificate of the fleet intermediate by serial, with a reason",
            description = "A node's certificate (only this serial; POST /api/v1/enrollments/{serial}/revoke also takes"
                    + " its renewals), a hub client certificate a hub ran with, or any other given as PEM in"
                    + " 'certificate'. Listed in GET /api/v1/pki/crl, refused by the embedded broker at connect and"
                    + " its live connection dropped. 409 for the certificate this hub uses; 404 for a serial the hub"
                    + " does not know; 503 when recorded but the broker was not reached (repeat; idempotent).")
    public Uni<Revoked> revoke(Request body, @Context SecurityContext caller) {
        if (body == null) {
            throw ApiProblem.badRequest("body: {\"serial\": \"<hex>\", \"reason\": \"...\"[, \"certificate\": \"<PEM>\"]}");
        }
        String serial = serial(body.serial());
        if (body.reason() == null || body.reason().isBlank() || !REASON.matcher(body.reason()).matches()) {
            throw ApiProblem.badRequest("reason: 1 to 256 characters, none a control, format or line-separator character, e.g. 'key compromise'");
        }
        if (hub.serialHex().filter(serial::equals).isPresent()) {
            throw new ApiProblem(409, "Conflict", "serial: " + serial + " is the client certificate this hub uses"
                    + " (gk8s.mqtt.tls-cert); revoking it would lock the hub out of its broker. Issue a new hub"
                    + " certificate (CaFiles issue-hub), restart the hub with it, then revoke the old serial.");
        }
        Optional<X509Certificate> given = given(body.certificate(), serial);
        String by = caller.getUserPrincipal() == null ? "anonymous" : caller.getUserPrincipal().getName();
        return store.revoke(serial, body.reason(), by, given, Instant.now()).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().failure(ApiProblem.notFound("serial: no certificate with serial " + serial
                        + " is known to this hub (nodes' certificates and hub certificates a hub ran with are); give"
                        + " the certificate itself as 'certificate' (PEM) to revoke another the fleet intermediate issued"));
            }
            CertificateStore.Revoked r = found.get();
            LOG.infof("revoked certificate %s (%s) by %s: %s", r.serial(), r.subject(), by, r.reason());
            return mqtt.publish(RevocationResource.TOPIC_PREFIX + r.serial(),
                            r.subject().getBytes(StandardCharsets.UTF_8), true)
                    .replaceWith(new Revoked(r.serial(), r.subject(), r.site(), r.node(), r.revokedAt(), r.reason(),
                            r.revokedBy(), true))
                    .onFailure().transform(e -> new ApiProblem(503, "Service unavailable",
                            "revocation recorded, but the broker was not told (" + e.getMessage() + "): repeat the call"));
        });
    }

    /** Lower-case hex without leading zeros ({@code BigInteger.toString(16)}); colons as openssl prints them allowed. */
    static String serial(String given) {
        String hex = given == null ? "" : given.replace(":", "").toLowerCase(java.util.Locale.ROOT);
        if (!HEX.matcher(hex).matches()) {
            throw ApiProblem.badRequest("serial: the certificate's serial number in hex (1 to 40 digits), as"
                    + " GET /api/v1/enrollments or 'openssl x509 -noout -serial' shows it");
        }
        return new BigInteger(hex, 16).toString(16);
    }

    private Optional<X509Certificate> given(String pem, String serial) {
        if (pem == null || pem.isBlank()) {
            return Optional.empty();
        }
        X509Certificate c;
        try {
            c = Pem.readCertificates(pem).get(0);
        } catch (RuntimeException e) {
            throw ApiProblem.badRequest("certificate: a PEM certificate (" + e.getMessage() + ")");
        }
        if (!c.getSerialNumber().toString(16).equals(serial)) {
            throw ApiProblem.badRequest("certificate: its serial is " + c.getSerialNumber().toString(16) + ", not " + serial);
        }
        FleetCa fleet;
        try {
            fleet = ca.get();
        } catch (IllegalStateException noCa) {
            throw new ApiProblem(503, "Service unavailable", "the hub has no fleet CA: " + noCa.getMessage());
        }
        try {
            c.verify(fleet.intermediate().getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            throw ApiProblem.badRequest("certificate: not issued by the fleet intermediate (" + e.getMessage() + ")");
        }
        return Optional.of(c);
    }
}
