package io.geminik8s.agent.link;

import io.geminik8s.agent.config.AgentConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/** Builds the MQTT connection's TLS context from PKCS12 stores or PEM files (TLS 1.3/1.2: {@code mqtt.Connection}). */
public final class TlsFactory {

    private TlsFactory() {
    }

    /**
     * After the node's certificate files were replaced (renewal): the next connection makes a full TLS handshake
     * with them instead of resuming a session that carries the old certificate's identity.
     */
    public static void certificateReplaced() {
        ReloadingKeyManager.forgetSessions();
    }

    /** The largest certificate file read: a chain of a few PEM certificates is a few KB. */
    static final long MAX_CERTIFICATE_FILE = 1 << 20;

    public static SSLContext context(AgentConfig.Tls tls) {
        try {
            KeyManager[] keyManagers = null; // none: no client certificate
            TrustManager[] trustManagers = null; // the JDK's default trust store
            KeyStore keys = null;
            char[] keyPassword = new char[0];
            if (tls.keystore() != null) {
                keyPassword = tls.keystorePassword() == null ? new char[0] : tls.keystorePassword();
                keys = pkcs12(tls.keystore(), keyPassword);
            } else if (tls.certPem() != null) { // PEM files are read again when they change (renewal)
                keyManagers = new KeyManager[] {new ReloadingKeyManager(tls.certPem(), tls.keyPem(), () -> {
                    // in memory only: PKCS12 would encrypt the key with 10,000 rounds of PBKDF2 here and decrypt it
                    // again in the key manager, ~80 ms of every start (load-tests/reports/agent-footprint-findings.md)
                    KeyStore ks = KeyStore.getInstance("JKS");
                    ks.load(null, null);
                    ks.setKeyEntry("node", pemKey(tls.keyPem()), new char[0],
                            certificates(tls.certPem()).toArray(new Certificate[0]));
                    return ks;
                })};
            }
            if (keys != null) {
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, keyPassword);
                keyManagers = kmf.getKeyManagers();
            }
            KeyStore trust = null;
            if (tls.truststore() != null) {
                trust = pkcs12(tls.truststore(), tls.truststorePassword() == null ? new char[0] : tls.truststorePassword());
            } else if (tls.caPem() != null) {
                trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates(tls.caPem())) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
            }
            if (trust != null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
                trustManagers = tmf.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, trustManagers, null);
            ReloadingKeyManager.remember(context.getClientSessionContext());
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load TLS material: " + e.getMessage(), e);
        }
    }

    private static KeyStore pkcs12(Path file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        }
        return ks;
    }

    /**
     * Every certificate of a PEM (or DER) file. Read whole first: the JDK's parser reads a stream a byte at a time
     * (~1,200 reads of the node's two files at every start).
     */
    public static Collection<? extends Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        long size = Files.size(pem);
        if (size > MAX_CERTIFICATE_FILE) { // a path set to the wrong file must not fill the agent's small heap
            throw new IOException(pem + ": " + size + " bytes, more than a certificate file has (at most "
                    + MAX_CERTIFICATE_FILE + ")");
        }
        return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                Files.readAllBytes(pem)));
    }

    private static PrivateKey pemKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem);
        if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new GeneralSecurityException(pem + ": expected an unencrypted PKCS#8 key (BEGIN PRIVATE KEY)");
        }
        String base64 = text.substring(text.indexOf("-----BEGIN PRIVATE KEY-----") + 27,
                text.indexOf("-----END PRIVATE KEY-----")).replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
        for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException(pem + ": unsupported key algorithm");
    }
}
