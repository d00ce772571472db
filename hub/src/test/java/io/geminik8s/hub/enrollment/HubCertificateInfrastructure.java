package io.geminik8s.hub.enrollment;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.Sha256;
import io.geminik8s.hub.pki.CaFiles;
import io.geminik8s.hub.pki.FleetCa;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link TrustInfrastructure}'s set-up, but the hub connects to the embedded broker's mTLS listener with its own
 * client certificate ({@code CaFiles issue-hub}, {@code gk8s.mqtt.tls-cert}/{@code tls-key}) besides its secret. The
 * broker's server certificate is the fleet intermediate's, so the hub trusts the fleet root through
 * {@code javax.net.ssl.trustStore} (restored at the end).
 */
public class HubCertificateInfrastructure implements QuarkusTestResourceLifecycleManager {

    public static volatile int tlsPort;
    public static volatile Path home;
    public static final String HUB_SECRET = TrustInfrastructure.FleetCaSecret.random();
    private static final String[] TRUST = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword",
        "javax.net.ssl.trustStoreType"};
    private final Map<String, String> previous = new HashMap<>();
    private EmbeddedDatabase database;
    private EmbeddedBroker broker;

    /** The fleet CA's folder and passphrase file (to issue more certificates in the test). */
    public static FleetCa ca() {
        return CaFiles.open(home.resolve("pki"), home.resolve("pki/ca.passphrase"), false);
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("gk8s-hub-cert");
            Path pki = home.resolve("pki");
            FleetCa ca = CaFiles.open(pki, pki.resolve("ca.passphrase"), true);
            CaFiles.issueHub(ca, home.resolve("hub-client"), Duration.ofDays(30));
            database = EmbeddedDatabase.start(null, false);
            tlsPort = FreePort.find();
            broker = new EmbeddedBroker(home.resolve("broker"), 0, false,
                    ca.brokerTls(home.resolve("broker-tls"), tlsPort, List.of("localhost", "127.0.0.1")))
                    .access(HUB_SECRET, false).start();
            Path trust = home.resolve("trust.p12");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("fleet-root", ca.root());
            try (OutputStream out = Files.newOutputStream(trust)) {
                ks.store(out, "changeit".toCharArray());
            }
            for (String key : TRUST) {
                previous.put(key, System.getProperty(key));
            }
            System.setProperty(TRUST[0], trust.toString());
            System.setProperty(TRUST[1], "changeit");
            System.setProperty(TRUST[2], "PKCS12");
            Map<String, String> config = new HashMap<>(Map.of(
                    "quarkus.datasource.reactive.url", database.reactiveUrl(),
                    "quarkus.datasource.jdbc.url", database.jdbcUrl(),
                    "quarkus.datasource.username", database.user(),
                    "quarkus.datasource.password", database.password(),
                    "gk8s.mqtt.host", "127.0.0.1", "gk8s.mqtt.port", Integer.toString(tlsPort), "gk8s.mqtt.ssl", "true",
                    "gk8s.mqtt.tls-cert", home.resolve("hub-client").resolve(CaFiles.HUB_CERT).toString(),
                    "gk8s.mqtt.tls-key", home.resolve("hub-client").resolve(CaFiles.HUB_KEY).toString()));
            config.putAll(Map.of("gk8s.mqtt.username", "gk8s-hub", "gk8s.mqtt.password", HUB_SECRET,
                    "gk8s.pki.dir", pki.toString(), "gk8s.pki.generate", "false"));
            for (var t : List.of(List.of("boss", "admin", HubInfrastructure.ADMIN_TOKEN),
                    List.of("noc", "viewer", HubInfrastructure.VIEWER_TOKEN),
                    List.of("tester", "operator", HubInfrastructure.OPERATOR_TOKEN))) {
                config.put("gk8s.auth.tokens." + t.get(0) + ".sha256", Sha256.hex(t.get(2)));
                config.put("gk8s.auth.tokens." + t.get(0) + ".role", t.get(1));
            }
            return config;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            previous.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
            if (database != null) {
                database.close();
            }
        }
    }
}
