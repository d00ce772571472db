package io.geminik8s.hub.enrollment;

import io.geminik8s.cli.mosquitto.GeneratedMosquitto;
import io.geminik8s.cli.mosquitto.TestPki;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.Sha256;
import io.geminik8s.hub.pki.CaFiles;
import io.geminik8s.hub.pki.FleetCa;
import io.geminik8s.hub.pki.Pem;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The production layout of docs/security.md on Debian's Mosquitto: a fleet CA made offline-style in a folder the hub
 * opens (no generation), the hub's client certificate from {@code CaFiles issue-hub}, Mosquitto generated with
 * {@code --hub-auth certificate --crlfile} and the fleet root as {@code --cafile}, an empty first CRL, and the hub
 * connecting with {@code gk8s.mqtt.tls-cert}/{@code tls-key}. The broker's server certificate comes from another
 * test CA, which the hub trusts through {@code javax.net.ssl.trustStore} (restored at the end).
 */
public class FleetMosquittoInfrastructure implements QuarkusTestResourceLifecycleManager {

    /** The site whose two nodes the broker's ACL lists. */
    public static final String SITE = "mq-crl";
    public static volatile GeneratedMosquitto broker;
    public static volatile TestPki serverPki;
    public static volatile Path crl;
    /** The fleet CA's folder (passphrase file {@code ca.passphrase} in it), to issue more hub certificates. */
    public static volatile Path pki;
    private static final String[] TRUST = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword",
        "javax.net.ssl.trustStoreType"};
    private final Map<String, String> previous = new HashMap<>();
    private EmbeddedDatabase database;
    private Path home;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        try {
            database = EmbeddedDatabase.start(null, false);
            config.put("quarkus.datasource.reactive.url", database.reactiveUrl());
            config.put("quarkus.datasource.jdbc.url", database.jdbcUrl());
            config.put("quarkus.datasource.username", database.user());
            config.put("quarkus.datasource.password", database.password());
            for (var t : List.of(List.of("boss", "admin", HubInfrastructure.ADMIN_TOKEN),
                    List.of("noc", "viewer", HubInfrastructure.VIEWER_TOKEN),
                    List.of("tester", "operator", HubInfrastructure.OPERATOR_TOKEN))) {
                config.put("gk8s.auth.tokens." + t.get(0) + ".sha256", Sha256.hex(t.get(2)));
                config.put("gk8s.auth.tokens." + t.get(0) + ".role", t.get(1));
            }
            if (!GeneratedMosquitto.available()) { // the hub still starts, so the test can report itself as not run
                return config;
            }
            home = Files.createTempDirectory("gk8s-fleet-mosquitto");
            Path pki = home.resolve("pki");
            FleetMosquittoInfrastructure.pki = pki;
            FleetCa ca = CaFiles.open(pki, pki.resolve("ca.passphrase"), true);
            Path hubTls = home.resolve("hub-client");
            CaFiles.issueHub(ca, hubTls, Duration.ofDays(30));
            crl = home.resolve("fleet.crl");
            Files.writeString(crl, Pem.crl(ca.crl(List.of(), Instant.now())));
            serverPki = new TestPki("broker server CA");
            broker = new GeneratedMosquitto(serverPki, Pem.certificates(List.of(ca.root())),
                    List.of(SITE + "/a", SITE + "/b"),
                    List.of("--crlfile", crl.toString(), "--hub-auth", "certificate"));
            Path trust = home.resolve("trust.p12");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("broker-ca", serverPki.ca.cert());
            try (OutputStream out = Files.newOutputStream(trust)) {
                ks.store(out, "changeit".toCharArray());
            }
            for (String key : TRUST) {
                previous.put(key, System.getProperty(key));
            }
            System.setProperty(TRUST[0], trust.toString());
            System.setProperty(TRUST[1], "changeit");
            System.setProperty(TRUST[2], "PKCS12");
            config.putAll(Map.of("gk8s.mqtt.host", "127.0.0.1", "gk8s.mqtt.port", Integer.toString(broker.hubPort),
                    "gk8s.mqtt.ssl", "true", "gk8s.mqtt.tls-cert", hubTls.resolve(CaFiles.HUB_CERT).toString(),
                    "gk8s.mqtt.tls-key", hubTls.resolve(CaFiles.HUB_KEY).toString(),
                    "gk8s.mqtt.subscription", "gk8s/v1/up/#", "gk8s.pki.dir", pki.toString(),
                    "gk8s.pki.generate", "false"));
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
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            broker = null;
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
            delete(home);
        }
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
