package io.geminik8s.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.cli.mosquitto.TestPki;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CRL is installed only when the named CA signed it and it is not older than the one it replaces. */
class CrlCheckTest {

    private static X509CRL crl(String pem) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aCrlFromAnotherCaOrOlderThanTheFileIsRefused(@TempDir Path dir) throws Exception {
        TestPki fleet = new TestPki("fleet intermediate");
        TestPki other = new TestPki("staging intermediate");
        Instant now = Instant.now();
        X509CRL newer = crl(fleet.crl(List.of(), now, now.plus(Duration.ofDays(1)), BigInteger.valueOf(200)));
        X509CRL older = crl(fleet.crl(List.of(), now, now.plus(Duration.ofDays(1)), BigInteger.valueOf(100)));
        assertEquals(BigInteger.valueOf(200), CrlCheck.number(newer));

        Path ca = Files.writeString(dir.resolve("ca.pem"), TestPki.pem("CERTIFICATE", fleet.ca.cert().getEncoded()));
        CrlCheck.signedBy(newer, ca);
        Path wrong = Files.writeString(dir.resolve("other.pem"), TestPki.pem("CERTIFICATE",
                other.ca.cert().getEncoded()));
        var notIn = assertThrows(HubClient.Failure.class, () -> CrlCheck.signedBy(newer, wrong));
        assertTrue(notIn.getMessage().contains("not in"), notIn.getMessage());
        // same subject, another key: a forged CRL does not verify
        TestPki forger = new TestPki("fleet intermediate");
        X509CRL forged = crl(forger.crl(List.of(), now, now.plus(Duration.ofDays(1)), BigInteger.valueOf(300)));
        var bad = assertThrows(HubClient.Failure.class, () -> CrlCheck.signedBy(forged, ca));
        assertTrue(bad.getMessage().contains("does not verify"), bad.getMessage());

        Path installed = Files.writeString(dir.resolve("fleet.crl"), fleet.crl(List.of(), now,
                now.plus(Duration.ofDays(1)), BigInteger.valueOf(200)));
        var replay = assertThrows(HubClient.Failure.class, () -> CrlCheck.notOlderThan(older, installed));
        assertTrue(replay.getMessage().contains("older"), replay.getMessage());
        CrlCheck.notOlderThan(newer, installed); // the same number: fine
        CrlCheck.notOlderThan(older, dir.resolve("absent.crl")); // nothing installed yet: fine
        CrlCheck.notOlderThan(older, Files.writeString(dir.resolve("garbage.crl"), "not a CRL")); // replaced
    }
}
