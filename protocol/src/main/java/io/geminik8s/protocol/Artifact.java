package io.geminik8s.protocol;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A file a site's desired state asks its nodes to install (a K3s binary, the agent's package), as a template names
 * it ({@code spec.artifacts[]}): where to fetch it, its SHA-256 and size, and the fleet signing key's Ed25519
 * signature over {@link #statement()} — the name, version, digest and size together, so a validly signed file cannot
 * be passed off as another artifact or another version. The agent installs nothing before both checks pass.
 */
public record Artifact(String name, String version, String url, String sha256, Long size, String signature) {

    public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    public static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}");
    public static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** The largest artifact a node fetches: 1 GiB. */
    public static final long MAX_SIZE = 1L << 30;

    /** What is wrong with this reference, naming the field; empty when it is well-formed (not yet verified). */
    public Optional<String> problem() {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.of("name: a-z, 0-9, inner '-'");
        }
        if (version == null || !VERSION.matcher(version).matches()) {
            return Optional.of("version: letters, digits and . + _ -, at most 64");
        }
        if (url == null || !(url.startsWith("https://") || url.startsWith("http://")) || url.length() > 2048) {
            return Optional.of("url: an http(s) URL of at most 2048 characters");
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            return Optional.of("sha256: 64 lower-case hex digits");
        }
        if (size == null || size < 1 || size > MAX_SIZE) {
            return Optional.of("size: bytes, 1 to " + MAX_SIZE);
        }
        if (signature == null || decoded(signature) == null || decoded(signature).length != 64) {
            return Optional.of("signature: the base64 Ed25519 signature (64 bytes) of the fleet signing key");
        }
        return Optional.empty();
    }

    /** The bytes signed: {@code gk8s-artifact/v1}, name, version, sha256 and size, one per line. */
    public byte[] statement() {
        return ("gk8s-artifact/v1\n" + name + "\n" + version + "\n" + sha256 + "\n" + size + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@code key} (Ed25519) signed this reference's statement. Never throws: false when unsure. */
    public boolean signedBy(PublicKey key) {
        byte[] sig = decoded(signature);
        if (sig == null) {
            return false;
        }
        try {
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(key);
            v.update(statement());
            return v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** This reference signed with {@code key} (Ed25519): what a release engineer does offline. */
    public Artifact signedWith(PrivateKey key) throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key);
        s.update(statement());
        return new Artifact(name, version, url, sha256, size, Base64.getEncoder().encodeToString(s.sign()));
    }

    /** The SHA-256 of {@code file}, lower-case hex, as {@link #sha256()} names it (read in 64 KiB blocks). */
    public static String sha256Of(java.nio.file.Path file) throws java.io.IOException {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                md.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this runtime", e);
        }
    }

    /** An Ed25519 public key from PEM ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo). */
    public static PublicKey publicKey(String pem) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der(pem, "PUBLIC KEY")));
    }

    /** An Ed25519 private key from PEM ({@code -----BEGIN PRIVATE KEY-----}, PKCS#8). */
    public static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der(pem, "PRIVATE KEY")));
    }

    private static byte[] der(String pem, String type) throws GeneralSecurityException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int a = pem.indexOf(begin);
        int b = pem.indexOf(end);
        if (a < 0 || b < a) {
            throw new GeneralSecurityException("not a PEM " + type);
        }
        byte[] der = decoded(pem.substring(a + begin.length(), b).replaceAll("\\s", ""));
        if (der == null) {
            throw new GeneralSecurityException("not a PEM " + type + ": bad base64");
        }
        return der;
    }

    private static byte[] decoded(String base64) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
