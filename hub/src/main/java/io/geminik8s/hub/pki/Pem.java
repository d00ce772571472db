package io.geminik8s.hub.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** PEM text for certificates and for private keys, which are only ever written encrypted (PKCS#8, AES-256, PBKDF2). */
public final class Pem {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Pem() {
    }

    public static String certificates(List<X509Certificate> chain) {
        StringBuilder out = new StringBuilder();
        for (X509Certificate c : chain) {
            try {
                out.append(block("CERTIFICATE", c.getEncoded()));
            } catch (CertificateException e) {
                throw new IllegalStateException(e);
            }
        }
        return out.toString();
    }

    /** A CRL as PEM ({@code X509 CRL}, what OpenSSL and Mosquitto's {@code crlfile} read). */
    public static String crl(java.security.cert.X509CRL crl) {
        try {
            return block("X509 CRL", crl.getEncoded());
        } catch (java.security.cert.CRLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An unencrypted PKCS#8 key ({@code PRIVATE KEY}); written only 0600 ({@link #writePrivate}). */
    static String privateKey(PrivateKey key) {
        return block("PRIVATE KEY", key.getEncoded());
    }

    /** An EC key from unencrypted PKCS#8 PEM ({@code PRIVATE KEY}), as {@code CaFiles issue-hub} writes it. */
    public static PrivateKey readPrivateKey(String pem) throws GeneralSecurityException {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new GeneralSecurityException("not an unencrypted PKCS#8 key (PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        return java.security.KeyFactory.getInstance("EC").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
    }

    static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    public static List<X509Certificate> readCertificates(String pem) {
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(
                    new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("not a PEM certificate chain: " + e.getMessage(), e);
        }
    }

    /** The key as {@code ENCRYPTED PRIVATE KEY} PEM: PKCS#8 encrypted with AES-256-CBC under PBKDF2 of the passphrase. */
    static String encryptedKey(PrivateKey key, char[] passphrase) {
        try {
            var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC).setRandom(RANDOM)
                    .setIterationCount(210_000).setPassword(passphrase).setProvider(Bc.PROVIDER).build();
            StringWriter out = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                w.writeObject(new JcaPKCS8Generator(key, encryptor));
            }
            return out.toString();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot encrypt a private key: " + e.getMessage(), e);
        }
    }

    static PrivateKey decryptKey(String pem, char[] passphrase) throws GeneralSecurityException {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            if (!(p.readObject() instanceof PKCS8EncryptedPrivateKeyInfo encrypted)) {
                throw new GeneralSecurityException("not an encrypted PKCS#8 key (ENCRYPTED PRIVATE KEY)");
            }
            PrivateKeyInfo info = encrypted.decryptPrivateKeyInfo(
                    new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(passphrase));
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (PKCSException | OperatorCreationException e) {
            throw new GeneralSecurityException("cannot decrypt the key (wrong passphrase?)", e);
        } catch (IOException e) {
            throw new GeneralSecurityException("unreadable key: " + e.getMessage(), e);
        }
    }

    /** Writes {@code text} to {@code file} atomically, readable by its owner only (0600), its folder 0700. */
    static void writePrivate(Path file, String text) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path tmp = dir.resolve(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
