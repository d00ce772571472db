package io.geminik8s.agent.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Typed agent configuration; {@link ConfigLoader} documents every key and default. Secrets are kept out of
 * {@link #toString()}.
 */
public record AgentConfig(
        String site,
        String node,
        URI brokerUri,
        boolean allowPlaintext,
        Tls tls,
        Duration keepalive,
        Duration sessionExpiry,
        Duration willDelay,
        Duration healthInterval,
        Path journalDir,
        int journalMaxEvents,
        Duration backoffInitial,
        Duration backoffMax,
        Postgres postgres,
        List<Path> watchedCerts,
        Map<String, String> labels,
        Path stateDir,
        HaSettings ha,
        java.security.PublicKey artifactSigningKey) {

    /** TLS material: PKCS12 key/trust stores, or PEM files (certificate chain, PKCS#8 key, CA bundle). */
    public record Tls(Path keystore, char[] keystorePassword, Path truststore, char[] truststorePassword,
                      Path certPem, Path keyPem, Path caPem) {
        @Override
        public String toString() {
            return "Tls[keystore=" + keystore + ", truststore=" + truststore + ", cert=" + certPem + ", key=" + keyPem
                    + ", ca=" + caPem + ", passwords=***]";
        }
    }

    /** Local PostgreSQL probe; null url means no probe. */
    public record Postgres(String url, String user, char[] password) {
        @Override
        public String toString() {
            return "Postgres[url=" + url + ", user=" + user + ", password=***]";
        }
    }

    public boolean tlsEnabled() {
        return "ssl".equals(brokerUri.getScheme());
    }

    public String clientId() {
        return "gk8s-" + site + "-" + node;
    }
}
