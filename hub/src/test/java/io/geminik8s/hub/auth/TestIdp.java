package io.geminik8s.hub.auth;

import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;

/**
 * The organisation's identity provider, as far as the hub can tell: an RSA key that signs tokens. One key per JVM
 * (kept in system properties): the test resource that configures the hub and the test that signs may be loaded by
 * different class loaders.
 */
final class TestIdp {

    static final String ISSUER = "https://idp.test.example/realms/fleet";
    static final String AUDIENCE = "gk8s-hub";

    private TestIdp() {
    }

    /** The public key as quarkus.oidc.public-key takes it (Base64 X.509 SubjectPublicKeyInfo). */
    static String publicKey() {
        return keys()[1];
    }

    static PrivateKey privateKey() {
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                    Base64.getDecoder().decode(keys()[0])));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh key no one trusts: a token signed with it has a wrong signature. */
    static PrivateKey otherKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair().getPrivate();
    }

    private static String[] keys() {
        synchronized (System.class) {
            if (System.getProperty("gk8s.test.idp.private") == null) {
                try {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                    var pair = g.generateKeyPair();
                    System.setProperty("gk8s.test.idp.private",
                            Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()));
                    System.setProperty("gk8s.test.idp.public",
                            Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
            return new String[] {System.getProperty("gk8s.test.idp.private"), System.getProperty("gk8s.test.idp.public")};
        }
    }

    /** Claims as an IdP issues them for a person: valid for 10 minutes from now. */
    static JwtClaims person(String user, List<String> groups) {
        JwtClaims c = new JwtClaims();
        c.setIssuer(ISSUER);
        c.setAudience(AUDIENCE);
        c.setSubject("id-" + user);
        c.setClaim("preferred_username", user);
        c.setStringListClaim("groups", groups);
        c.setIssuedAtToNow();
        c.setExpirationTimeMinutesInTheFuture(10);
        return c;
    }

    static JwtClaims expired(JwtClaims c) {
        long now = System.currentTimeMillis() / 1000;
        c.setIssuedAt(NumericDate.fromSeconds(now - 1200));
        c.setExpirationTime(NumericDate.fromSeconds(now - 600));
        return c;
    }

    static String sign(JwtClaims claims, PrivateKey key) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        jws.setKey(key);
        return jws.getCompactSerialization();
    }

    /** An unsigned token ({@code alg=none}, empty signature). */
    static String unsigned(JwtClaims claims) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmConstraints(AlgorithmConstraints.NO_CONSTRAINTS);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.NONE);
        return jws.getCompactSerialization();
    }
}
