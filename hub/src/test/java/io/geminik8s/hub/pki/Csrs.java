package io.geminik8s.hub.pki;

import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Certificate signing requests as nodes (and attackers) make them, for tests. */
public final class Csrs {

    private Csrs() {
    }

    public static KeyPair keys(String algorithm, String curveOrBits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) {
            g.initialize(new ECGenParameterSpec(curveOrBits));
        } else if (algorithm.equals("RSA")) {
            g.initialize(Integer.parseInt(curveOrBits));
        }
        return g.generateKeyPair();
    }

    public static KeyPair p256() throws Exception {
        return keys("EC", "secp256r1");
    }

    public static String pem(String subject, KeyPair keys) throws Exception {
        return pem(request(subject, keys, keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA"
                : keys.getPublic().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "Ed25519"));
    }

    public static PKCS10CertificationRequest request(String subject, KeyPair keys, String signature) throws Exception {
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
                .build(new JcaContentSignerBuilder(signature).build(keys.getPrivate()));
    }

    public static String pem(PKCS10CertificationRequest csr) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(csr);
        }
        return out.toString();
    }
}
