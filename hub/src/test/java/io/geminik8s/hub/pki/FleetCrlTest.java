package io.geminik8s.hub.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The intermediate's CRL: what it lists, who signed it, how long it holds, and what it leaves out. */
class FleetCrlTest {

    @TempDir
    Path dir;
    private FleetCa ca;

    @BeforeEach
    void generate() {
        ca = CaFiles.open(dir, dir.resolve(CaFiles.PASSPHRASE), true);
    }

    /** Read back from its PEM, as a broker would. */
    private static X509CRL parse(String pem) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void listsEveryRevokedUnexpiredSerialSignedByTheIntermediate() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        FleetCa.Issued revoked = ca.issueHub(CertBuilder.p256().getPublic(), Duration.ofDays(30));
        FleetCa.Issued kept = ca.issueHub(CertBuilder.p256().getPublic(), Duration.ofDays(30));
        BigInteger other = new BigInteger("7f3a", 16);
        List<FleetCrl.Revoked> entries = List.of(
                FleetCrl.Revoked.of(revoked.serialHex(), now.minusSeconds(60), now.plus(Duration.ofDays(29))),
                new FleetCrl.Revoked(other, now.minusSeconds(5), now.plusSeconds(10)),
                // expired: a broker refuses it anyway, the list does not keep it
                FleetCrl.Revoked.of("abc", now.minus(Duration.ofDays(40)), now.minusSeconds(1)),
                FleetCrl.Revoked.of("def", now.minus(Duration.ofDays(40)), now));

        String pem = Pem.crl(ca.crl(entries, now));
        assertTrue(pem.startsWith("-----BEGIN X509 CRL-----\n"), pem);
        X509CRL crl = parse(pem);

        crl.verify(ca.intermediate().getPublicKey());
        assertThrows(SignatureException.class, () -> crl.verify(ca.root().getPublicKey()));
        assertEquals(ca.intermediate().getSubjectX500Principal(), crl.getIssuerX500Principal());
        assertEquals(2, crl.getVersion());
        assertEquals("SHA256withECDSA", crl.getSigAlgName());
        assertEquals(now, crl.getThisUpdate().toInstant());
        assertEquals(now.plus(Duration.ofDays(1)), crl.getNextUpdate().toInstant());

        Set<BigInteger> serials = crl.getRevokedCertificates().stream().map(X509CRLEntry::getSerialNumber)
                .collect(Collectors.toSet());
        assertEquals(Set.of(revoked.certificate().getSerialNumber(), other), serials);
        assertEquals(now.minusSeconds(60),
                crl.getRevokedCertificate(revoked.certificate()).getRevocationDate().toInstant());
        assertTrue(crl.isRevoked(revoked.certificate()));
        assertFalse(crl.isRevoked(kept.certificate()));

        // CRL number grows with time, authority key identifier names the intermediate's key
        BigInteger number = ASN1Integer.getInstance(ASN1OctetString.getInstance(
                crl.getExtensionValue(Extension.cRLNumber.getId())).getOctets()).getValue();
        assertEquals(BigInteger.valueOf(now.toEpochMilli()), number);
        assertTrue(crl.getExtensionValue(Extension.authorityKeyIdentifier.getId()) != null);
    }

    @Test
    void withNothingRevokedTheListIsEmptyButSigned() throws Exception {
        Instant now = Instant.now();
        X509CRL crl = parse(Pem.crl(ca.crl(List.of(), now)));
        crl.verify(ca.intermediate().getPublicKey());
        assertEquals(null, crl.getRevokedCertificates());
        assertTrue(crl.getNextUpdate().after(crl.getThisUpdate()));
    }
}
