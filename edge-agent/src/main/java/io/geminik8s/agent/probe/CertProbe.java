package io.geminik8s.agent.probe;

import io.geminik8s.protocol.Health;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Expiry of configured certificate files: PEM or DER (earliest notAfter in the file), or PKCS12 without a
 * password. A file that cannot be read is reported with its error, not skipped.
 */
public final class CertProbe {

    private final List<Path> files;

    public CertProbe(List<Path> files) {
        this.files = List.copyOf(files);
    }

    public List<Health.CertExpiry> probe() {
        List<Health.CertExpiry> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(new Health.CertExpiry(f.toString(), earliestNotAfter(f), null));
            } catch (Exception e) {
                out.add(new Health.CertExpiry(f.toString(), null, e.getClass().getSimpleName() + ": " + e.getMessage()));
            }
        }
        return out;
    }

    private static long earliestNotAfter(Path f) throws Exception {
        List<Certificate> certs = new ArrayList<>();
        String name = f.getFileName().toString();
        if (name.endsWith(".p12") || name.endsWith(".pfx")) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(f)) {
                ks.load(in, new char[0]);
            }
            for (String alias : Collections.list(ks.aliases())) {
                certs.add(ks.getCertificate(alias));
            }
        } else {
            certs.addAll(io.geminik8s.agent.link.TlsFactory.certificates(f));
        }
        return certs.stream().filter(X509Certificate.class::isInstance).map(X509Certificate.class::cast)
                .mapToLong(c -> c.getNotAfter().getTime()).min()
                .orElseThrow(() -> new IllegalArgumentException("no X.509 certificate in " + f));
    }
}
