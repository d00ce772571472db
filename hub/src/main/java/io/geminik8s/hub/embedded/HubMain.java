package io.geminik8s.hub.embedded;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.geminik8s.hub.pki.CaFiles;
import com.sun.management.UnixOperatingSystemMXBean;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * Entry point of the hub. With {@code gk8s.embedded=true} (the default, for a zero-install start) it first starts
 * PostgreSQL and the MQTT broker in a data folder ({@code gk8s.data-dir}, default {@code .gk8s-data}) and points the
 * hub at them; with {@code false} the hub uses the configured external PostgreSQL and broker.
 */
@QuarkusMain
public final class HubMain {

    /**
     * Open files the hub needs besides its broker's client sockets: measured 1,290 at 18,500 agents (1,270 of them
     * the broker's persistence files), plus room for the database pool, HTTP clients and refused connections.
     */
    static final long OWN_FILES = 2_000;

    /** Client ids of the hub's own MQTT connections (application.properties); never refused at the limit. */
    static final String HUB_CLIENTS = "gk8s-hub-";

    private HubMain() {
    }

    public static void main(String... args) {
        if (Boolean.parseBoolean(setting("gk8s.embedded", "GK8S_EMBEDDED", "true"))) {
            Path data = Path.of(setting("gk8s.data-dir", "GK8S_DATA_DIR", ".gk8s-data")).toAbsolutePath();
            int mqttPort = Integer.parseInt(setting("gk8s.embedded.mqtt-port", "GK8S_EMBEDDED_MQTT_PORT", "1883"));
            EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("postgres"), true);
            String bind = setting("gk8s.embedded.bind", "GK8S_EMBEDDED_BIND", "127.0.0.1");
            // the broker knows the hub by a secret made anew at every start, held only in this process
            byte[] raw = new byte[32];
            new java.security.SecureRandom().nextBytes(raw);
            String hubSecret = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            EmbeddedBroker broker = new EmbeddedBroker(data.resolve("broker"), bind, mqttPort, true, brokerTls(data, bind))
                    .access(hubSecret, false)
                    .maxConnections(maxConnections(setting("gk8s.embedded.mqtt-max-connections",
                            "GK8S_EMBEDDED_MQTT_MAX_CONNECTIONS", "auto")), HUB_CLIENTS).start();
            EmbeddedServices.use(db, broker);
            System.setProperty("quarkus.datasource.reactive.url", db.reactiveUrl());
            System.setProperty("quarkus.datasource.jdbc.url", db.jdbcUrl());
            System.setProperty("quarkus.datasource.username", db.user());
            System.setProperty("quarkus.datasource.password", db.password());
            System.setProperty("gk8s.mqtt.host", bind);
            System.setProperty("gk8s.mqtt.port", Integer.toString(broker.port()));
            System.setProperty("gk8s.mqtt.subscription", io.geminik8s.hub.ingest.MqttSettings.PLAIN_SUBSCRIPTION);
            System.setProperty("gk8s.mqtt.username", "gk8s-hub");
            System.setProperty("gk8s.mqtt.password", hubSecret);
            System.out.printf("gk8s: embedded PostgreSQL on 127.0.0.1:%d and MQTT broker on %s:%d (at most %s"
                    + " connections), data in %s%n", db.port(), bind, broker.port(),
                    broker.maxConnections() < 0 ? "unlimited" : broker.maxConnections(), data);
            LocalToken.install(data);
        }
        Quarkus.run(args);
    }

    /**
     * The fleet CA ({@code gk8s.pki.dir}, default {@code <data>/pki}; made at first start unless
     * {@code gk8s.pki.generate=false}) and, with {@code gk8s.embedded.mqtt-tls-port} above 0, the broker's mTLS
     * listener: a server certificate from the fleet intermediate, client certificates required and trusted only from
     * it (docs/security.md). Off by default, so that hubs sharing a machine do not contend for a second port.
     */
    private static EmbeddedBroker.Tls brokerTls(Path data, String bind) {
        String pkiDir = setting("gk8s.pki.dir", "GK8S_PKI_DIR", data.resolve("pki").toString());
        String generate = setting("gk8s.pki.generate", "GK8S_PKI_GENERATE", "true");
        System.setProperty("gk8s.pki.dir", pkiDir);
        System.setProperty("gk8s.pki.generate", generate);
        int port = Integer.parseInt(setting("gk8s.embedded.mqtt-tls-port", "GK8S_EMBEDDED_MQTT_TLS_PORT", "0"));
        if (port <= 0) {
            return null;
        }
        Path dir = Path.of(pkiDir);
        var ca = CaFiles.open(dir, Path.of(setting("gk8s.pki.passphrase-file", "GK8S_PKI_PASSPHRASE_FILE",
                dir.resolve("ca.passphrase").toString())), Boolean.parseBoolean(generate));
        var hosts = new java.util.ArrayList<>(java.util.List.of(setting("gk8s.pki.broker-hosts", "GK8S_PKI_BROKER_HOSTS",
                "localhost,127.0.0.1").split(",")));
        if (!hosts.contains(bind) && !bind.equals("0.0.0.0")) {
            hosts.add(bind);
        }
        System.out.printf("gk8s: MQTT over mTLS on %s:%d (client certificates from the fleet CA in %s)%n", bind, port, dir);
        return ca.brokerTls(data.resolve("broker-tls"), port, hosts.stream().map(String::trim).toList());
    }

    /**
     * {@code auto}: as many clients as the process's open-file limit leaves room for after {@link #OWN_FILES}; a
     * number; or -1 for no limit.
     */
    static long maxConnections(String setting) {
        if (!setting.equals("auto")) {
            try {
                return Long.parseLong(setting.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("gk8s.embedded.mqtt-max-connections must be auto, -1 or a number of"
                        + " connections, not '" + setting + "'");
            }
        }
        long limit = ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount() : -1;
        return EmbeddedBroker.connectionsWithin(limit, OWN_FILES);
    }

    private static String setting(String property, String env, String dflt) {
        String v = System.getProperty(property);
        if (v == null) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? dflt : v;
    }
}
