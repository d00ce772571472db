package io.geminik8s.hub.pki;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * A node's certificate signing request that passed every check: PEM, at most {@link #MAX_PEM_CHARS}, a valid
 * self-signature (ECDSA with SHA-256), an ECDSA P-256 key and nothing else, and a subject that is exactly
 * {@code CN=<site>/<node>} of the identity being enrolled.
 */
public record NodeCsr(String site, String node, PublicKey publicKey) {

    /** A P-256 CSR is about 500 characters of PEM. */
    public static final int MAX_PEM_CHARS = 4096;
    /** Site and node ids: what the broker accepts in an identity (lower case, digits, inner dashes, ≤ 63). */
    public static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final ASN1ObjectIdentifier P256 = X9ObjectIdentifiers.prime256v1;
    private static final ASN1ObjectIdentifier ECDSA_SHA256 = X9ObjectIdentifiers.ecdsa_with_SHA256;

    /** Checks {@code pem} as the request of node {@code node} of site {@code site}. */
    public static NodeCsr check(String pem, String site, String node) throws CsrRefused {
        if (!ID.matcher(site).matches() || !ID.matcher(node).matches()) {
            throw new CsrRefused("site and node must be lower-case ids (a-z, 0-9, inner '-', at most 63)");
        }
        if (pem == null || pem.isBlank()) {
            throw new CsrRefused("no certificate signing request");
        }
        if (pem.length() > MAX_PEM_CHARS) {
            throw new CsrRefused("the certificate signing request is larger than " + MAX_PEM_CHARS + " characters");
        }
        PKCS10CertificationRequest csr = parse(pem);
        var keyInfo = csr.getSubjectPublicKeyInfo();
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(keyInfo.getAlgorithm().getAlgorithm())
                || !P256.equals(keyInfo.getAlgorithm().getParameters())) {
            throw new CsrRefused("only ECDSA P-256 keys are accepted");
        }
        if (!ECDSA_SHA256.equals(csr.getSignatureAlgorithm().getAlgorithm())) {
            throw new CsrRefused("the request must be signed with ECDSA and SHA-256");
        }
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Bc.PROVIDER).build(keyInfo))) {
                throw new CsrRefused("the request's signature does not verify");
            }
        } catch (OperatorCreationException | PKCSException e) {
            throw new CsrRefused("the request's signature does not verify");
        }
        String expected = site + "/" + node;
        RDN[] rdns = csr.getSubject().getRDNs();
        if (rdns.length != 1 || rdns[0].isMultiValued() || !BCStyle.CN.equals(rdns[0].getFirst().getType())
                || !expected.equals(IETFUtils.valueToString(rdns[0].getFirst().getValue()))) {
            throw new CsrRefused("the request's subject must be exactly CN=" + expected);
        }
        try {
            return new NodeCsr(site, node, new JcaPKCS10CertificationRequest(csr).getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new CsrRefused("unreadable public key");
        }
    }

    private static PKCS10CertificationRequest parse(String pem) throws CsrRefused {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            if (o instanceof PKCS10CertificationRequest csr) {
                return csr;
            }
        } catch (IOException | RuntimeException e) {
            // falls through: the caller learns only that it is not a request
        }
        throw new CsrRefused("not a PEM certificate signing request (BEGIN CERTIFICATE REQUEST)");
    }
}
