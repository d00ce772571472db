package io.geminik8s.hub.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * A template's certificate files ({@code spec.certificates.files}, docs/upgrades.md): checked by the agents' own
 * rules when the template is loaded, each problem at its line and field; a valid list reaches the desired state.
 */
class TemplateCertificateFilesTest {

    static String pem(Instant notAfter) throws Exception {
        KeyPair k = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        var cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=registry CA"), BigInteger.ONE, Date.from(notAfter.minus(Duration.ofDays(60))),
                Date.from(notAfter), new X500Name("CN=registry CA"), k.getPublic())
                .build(new JcaContentSignerBuilder("Ed25519").build(k.getPrivate())));
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(
                cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    private static String withFiles(String files) throws Exception {
        String t = Files.readString(Path.of("../fleet-templates/store-standard.yaml"));
        return t.replace("    renewBeforeDays: 30\n", "    renewBeforeDays: 30\n" + files);
    }

    private static String file(String name, String pem) {
        return "      - name: " + name + "\n        pem: |\n" + pem.lines().map(l -> "          " + l + "\n")
                .reduce("", String::concat);
    }

    @Test
    void validFilesReachTheSpecAndEveryProblemIsNamedAtItsField() throws Exception {
        String ok = pem(Instant.now().plus(Duration.ofDays(30)));
        var loaded = TemplateLoader.load("t.yaml", withFiles("    files:\n" + file("registry-ca", ok)));
        assertTrue(loaded.ok(), loaded.problems().toString());
        assertEquals(List.of(Map.of("name", "registry-ca", "pem", ok)), loaded.template().spec().certificates().files());

        String expired = pem(Instant.now().minus(Duration.ofDays(1)));
        List<String> p = TemplateLoader.load("t.yaml", withFiles("    files:\n" + file("../x", ok)
                + file("old-ca", expired) + file("key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")))
                .problems().stream().map(TemplateProblem::toString).toList();
        String all = String.join("\n", p);
        assertTrue(all.contains("spec.certificates.files[0].name: lowercase letters"), all);
        assertTrue(all.contains("spec.certificates.files[1].pem: the certificate CN=registry CA expired"), all);
        assertTrue(all.contains("spec.certificates.files[2].pem: holds a private key"), all);
        assertTrue(p.stream().allMatch(x -> x.matches("t\\.yaml:\\d+:\\d+: spec\\.certificates\\.files\\[\\d].*")), all);
    }
}
