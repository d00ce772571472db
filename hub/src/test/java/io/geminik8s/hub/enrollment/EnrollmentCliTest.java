package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.cli.Gk8s;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.Csrs;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.io.StringWriter;
import java.net.URL;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code gk8s site claim}, {@code gk8s get enrollments}, {@code gk8s site revoke}, {@code gk8s pki revoke} against the
 * running test hub.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class EnrollmentCliTest {

    @TestHTTPResource("/")
    URL hub;

    record Run(int code, String out, String err) {
    }

    Run gk8s(String token, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Gk8s.run(Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", token), new PrintWriter(out),
                new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void anAdminClaimsListsAndRevokesFromTheCommandLine() throws Exception {
        String site = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        Run denied = gk8s(HubInfrastructure.OPERATOR_TOKEN, "site", "claim", site);
        assertEquals(1, denied.code(), "an operator may not claim: " + denied.out());
        Run claim = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "claim", site);
        assertEquals(0, claim.code(), claim.err());
        String line = claim.out().strip();
        assertTrue(line.startsWith("gk8s-claim:v1:" + site + ":gk8s-claim-"), line);
        String token = line.substring(line.lastIndexOf(':') + 1);
        String serial = RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                .body(Map.of("site", site, "node", "a", "csr", Csrs.pem("CN=" + site + "/a", Csrs.p256())))
                .post("/enroll/v1").then().statusCode(200).extract().path("serial");

        Run list = gk8s(HubInfrastructure.ADMIN_TOKEN, "get", "enrollments", "--site", site);
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains(serial) && list.out().contains("SERIAL"), list.out());
        Run revoke = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "revoke", serial);
        assertEquals(0, revoke.code(), revoke.err());
        assertTrue(revoke.out().contains(serial), revoke.out());
        Run json = gk8s(HubInfrastructure.VIEWER_TOKEN, "get", "enrollments", "--site", site, "-o", "json");
        assertTrue(json.out().contains("\"revokedAt\" : \"") || json.out().contains("\"revokedAt\":\""), json.out());

        String paired = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        Run withPair = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "claim", paired, "--vip", "10.1.0.10/24",
                "--node", "a=10.1.0.1", "--node", "b=10.1.0.2");
        assertEquals(0, withPair.code(), withPair.err());
        String pairToken = withPair.out().strip().substring(withPair.out().strip().lastIndexOf(':') + 1);
        String peer = RestAssured.given().header(EnrollResource.CLAIM_HEADER, pairToken).contentType("application/json")
                .body(Map.of("site", paired, "node", "b", "csr", Csrs.pem("CN=" + paired + "/b", Csrs.p256())))
                .post("/enroll/v1").then().statusCode(200).extract().path("pair.peerAddress");
        assertEquals("10.1.0.1:7946", peer);
        Run badPair = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "claim", paired, "--vip", "10.1.0.10/24",
                "--node", "a=10.1.0.1");
        assertEquals(1, badPair.code());
        assertTrue(badPair.err().contains("nodes: exactly two"), badPair.err());

        String gated = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        Run approvalClaim = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "claim", gated, "--approval");
        String gatedToken = approvalClaim.out().strip().substring(approvalClaim.out().strip().lastIndexOf(':') + 1);
        Map<String, String> request = Map.of("site", gated, "node", "a", "csr", Csrs.pem("CN=" + gated + "/a", Csrs.p256()));
        RestAssured.given().header(EnrollResource.CLAIM_HEADER, gatedToken).contentType("application/json")
                .body(request).post("/enroll/v1").then().statusCode(202);
        assertEquals(1, gk8s(HubInfrastructure.OPERATOR_TOKEN, "site", "approve", gated, "a").code());
        Run approved = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "approve", gated, "a");
        assertEquals(0, approved.code(), approved.err());
        assertTrue(approved.out().contains("boss"), approved.out());
        RestAssured.given().header(EnrollResource.CLAIM_HEADER, gatedToken).contentType("application/json")
                .body(Map.of("site", gated, "node", "a", "csr", Csrs.pem("CN=" + gated + "/a", Csrs.p256())))
                .post("/enroll/v1").then().statusCode(200);
    }

    /** {@code gk8s pki crl --out FILE}: the revoked serial is in the file, which a viewer may fetch and nobody else. */
    @Test
    void aViewerFetchesTheCrlWithTheRevokedSerialIntoAFile() throws Exception {
        String site = "crl-" + UUID.randomUUID().toString().substring(0, 8);
        String line = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "claim", site).out().strip();
        String token = line.substring(line.lastIndexOf(':') + 1);
        List<String> serials = new java.util.ArrayList<>();
        String chain = null;
        String root = null;
        for (String node : List.of("a", "b")) {
            var enrolled = RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                    .body(Map.of("site", site, "node", node, "csr", Csrs.pem("CN=" + site + "/" + node, Csrs.p256())))
                    .post("/enroll/v1").then().statusCode(200).extract();
            serials.add(enrolled.path("serial"));
            chain = enrolled.path("chain");
            root = enrolled.path("ca");
        }
        assertEquals(0, gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "revoke", serials.get(0)).code());

        Path dir = Files.createTempDirectory("gk8s-crl");
        Path file = dir.resolve("fleet.crl");
        Run fetched = gk8s(HubInfrastructure.VIEWER_TOKEN, "pki", "crl", "--out", file.toString());
        assertEquals(0, fetched.code(), fetched.err());
        assertTrue(fetched.out().contains("wrote " + file) && fetched.out().contains("next update"), fetched.out());
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(Files.newInputStream(file));
        Set<BigInteger> listed = crl.getRevokedCertificates().stream().map(X509CRLEntry::getSerialNumber)
                .collect(Collectors.toSet());
        assertTrue(listed.contains(new BigInteger(serials.get(0), 16)), listed + " lacks " + serials.get(0));
        assertFalse(listed.contains(new BigInteger(serials.get(1), 16)), "the node not revoked is listed");

        // checked against the fleet's chain (node certificate + intermediate): accepted; against the root alone
        // (not the CRL's issuer): refused, the file left as it was
        Path chainFile = Files.writeString(dir.resolve("chain.pem"), chain);
        Run checked = gk8s(HubInfrastructure.VIEWER_TOKEN, "pki", "crl", "--out", file.toString(), "--ca",
                chainFile.toString());
        assertEquals(0, checked.code(), checked.err());
        String before = Files.readString(file);
        Path rootFile = Files.writeString(dir.resolve("root.pem"), root);
        Run notIssuer = gk8s(HubInfrastructure.VIEWER_TOKEN, "pki", "crl", "--out", file.toString(), "--ca",
                rootFile.toString());
        assertEquals(1, notIssuer.code());
        assertTrue(notIssuer.err().contains("not in " + rootFile), notIssuer.err());
        assertEquals(before, Files.readString(file));
        Files.delete(chainFile);
        Files.delete(rootFile);

        // a wrong token: refused, and the file from before is left as it was
        Run refused = gk8s("not-a-token", "pki", "crl", "--out", file.toString());
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("401"), refused.err());
        assertEquals(before, Files.readString(file));
        Files.delete(file);
        Files.delete(dir);
    }

    /** {@code gk8s pki revoke --serial --reason}: the admin's; the reason kept; an unknown serial names the field. */
    @Test
    void anAdminRevokesACertificateBySerialWithAReason() throws Exception {
        String site = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        String serial = RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                .body(Map.of("site", site, "node", "a", "csr", Csrs.pem("CN=" + site + "/a", Csrs.p256())))
                .post("/enroll/v1").then().statusCode(200).extract().path("serial");
        Run denied = gk8s(HubInfrastructure.OPERATOR_TOKEN, "pki", "revoke", "--serial", serial, "--reason", "x");
        assertEquals(1, denied.code(), denied.out());
        assertTrue(denied.err().contains("403"), denied.err());
        Run revoked = gk8s(HubInfrastructure.ADMIN_TOKEN, "pki", "revoke", "--serial", serial.toUpperCase(),
                "--reason", "board stolen", "-o", "json");
        assertEquals(0, revoked.code(), revoked.err());
        assertTrue(revoked.out().contains(serial) && revoked.out().contains("board stolen")
                && revoked.out().contains("CN=" + site + "/a"), revoked.out());
        Run unknown = gk8s(HubInfrastructure.ADMIN_TOKEN, "pki", "revoke", "--serial", "abcdef0123", "--reason", "x");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("404") && unknown.err().contains("serial:"), unknown.err());
    }

    @Test
    void anAdminPinsAndClearsANodesHardwareIdentity() throws Exception {
        String site = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        String uuid = "4c4c4544-0051-3510-8052-b7c04f4e3732";
        Run claim = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "claim", site, "--hardware", "a=" + uuid.toUpperCase());
        assertEquals(0, claim.code(), claim.err());
        String token = claim.out().strip().substring(claim.out().strip().lastIndexOf(':') + 1);
        Map<String, String> other = Map.of("site", site, "node", "a", "csr", Csrs.pem("CN=" + site + "/a", Csrs.p256()),
                "hardwareId", "another-board");
        RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json").body(other)
                .post("/enroll/v1").then().statusCode(403);
        Run bad = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "claim", site, "--hardware", "a=not valid");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("hardware.a: "), bad.err());

        assertEquals(1, gk8s(HubInfrastructure.OPERATOR_TOKEN, "site", "clear-hardware", site, "a").code());
        Run cleared = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "clear-hardware", site, "a");
        assertEquals(0, cleared.code(), cleared.err());
        assertTrue(cleared.out().contains("CLEARED") && cleared.out().contains("true"), cleared.out());
        RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json").body(other)
                .post("/enroll/v1").then().statusCode(200);
        Run list = gk8s(HubInfrastructure.ADMIN_TOKEN, "get", "enrollments", "--site", site);
        assertTrue(list.out().contains("HARDWARE") && list.out().contains("another-board"), list.out());
        Run again = gk8s(HubInfrastructure.ADMIN_TOKEN, "site", "clear-hardware", site, "b");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("404"), again.err());
    }
}
