package io.geminik8s.hub.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.KeyPair;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

/** Each request the fleet CA refuses, and why. */
class NodeCsrTest {

    private static String refusal(String pem, String site, String node) {
        return assertThrows(CsrRefused.class, () -> NodeCsr.check(pem, site, node)).getMessage();
    }

    @Test
    void aGoodRequest() throws Exception {
        KeyPair keys = Csrs.p256();
        NodeCsr csr = NodeCsr.check(Csrs.pem("CN=s1/a", keys), "s1", "a");
        assertEquals(keys.getPublic(), csr.publicKey());
    }

    @Test
    void otherKeyTypesAreRefused() throws Exception {
        assertEquals("only ECDSA P-256 keys are accepted", refusal(Csrs.pem("CN=s1/a", Csrs.keys("RSA", "2048")), "s1", "a"));
        assertEquals("only ECDSA P-256 keys are accepted", refusal(Csrs.pem("CN=s1/a", Csrs.keys("EC", "secp384r1")), "s1", "a"));
        assertEquals("only ECDSA P-256 keys are accepted", refusal(Csrs.pem("CN=s1/a", Csrs.keys("Ed25519", "0")), "s1", "a"));
    }

    @Test
    void aSignatureThatDoesNotVerifyIsRefused() throws Exception {
        KeyPair claimed = Csrs.p256();
        KeyPair signer = Csrs.p256();
        var forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=s1/a"), claimed.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
        assertEquals("the request's signature does not verify", refusal(Csrs.pem(forged), "s1", "a"));
        var sha1 = Csrs.request("CN=s1/a", claimed, "SHA1withECDSA");
        assertEquals("the request must be signed with ECDSA and SHA-256", refusal(Csrs.pem(sha1), "s1", "a"));
    }

    @Test
    void aSubjectOtherThanTheEnrolledIdentityIsRefused() throws Exception {
        KeyPair keys = Csrs.p256();
        String expected = "the request's subject must be exactly CN=s1/a";
        assertEquals(expected, refusal(Csrs.pem("CN=s1/b", keys), "s1", "a"), "another node");
        assertEquals(expected, refusal(Csrs.pem("CN=s2/a", keys), "s1", "a"), "another site");
        assertEquals(expected, refusal(Csrs.pem("CN=s1/a,O=x", keys), "s1", "a"), "more than the CN");
        assertEquals(expected, refusal(Csrs.pem("O=s1/a", keys), "s1", "a"), "no CN");
        assertEquals(expected, refusal(Csrs.pem("CN=gk8s-hub", keys), "s1", "a"), "the hub");
    }

    @Test
    void malformedOversizedAndBadIdsAreRefused() throws Exception {
        String good = Csrs.pem("CN=s1/a", Csrs.p256());
        assertEquals("no certificate signing request", refusal("", "s1", "a"));
        assertEquals("not a PEM certificate signing request (BEGIN CERTIFICATE REQUEST)",
                refusal("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "s1", "a"));
        assertEquals("not a PEM certificate signing request (BEGIN CERTIFICATE REQUEST)",
                refusal(good.replace("CERTIFICATE REQUEST", "CERTIFICATE"), "s1", "a"));
        assertEquals("the certificate signing request is larger than 4096 characters",
                refusal(good + " ".repeat(4096), "s1", "a"));
        assertEquals("site and node must be lower-case ids (a-z, 0-9, inner '-', at most 63)",
                refusal(good, "s1", "A/b"));
    }
}
