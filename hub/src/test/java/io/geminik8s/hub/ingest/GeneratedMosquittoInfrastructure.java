package io.geminik8s.hub.ingest;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;

import io.geminik8s.cli.mosquitto.GeneratedMosquitto;
import io.geminik8s.cli.mosquitto.TestPki;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.Sha256;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The hub against Debian's Mosquitto started from what {@code gk8s mosquitto-config} writes, configured as
 * docs/security.md says: the hub's TLS listener, user {@code gk8s-hub} with the generated password, the plain ingest
 * subscription, the broker's CA in the JVM's trust store ({@code javax.net.ssl.trustStore}, restored at the end).
 * Mosquitto is required where {@code GK8S_REQUIRE_MOSQUITTO=1}; elsewhere the test reports itself as not run.
 */
public class GeneratedMosquittoInfrastructure implements QuarkusTestResourceLifecycleManager {

    /** The nodes the ACL knows; the test connects as them with certificates from {@link #pki}. */
    public static final List<String> NODES = List.of("mq-s1/a", "mq-s1/b");
    public static volatile TestPki pki;
    public static volatile int nodePort;
    private static final String[] TRUST = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword",
        "javax.net.ssl.trustStoreType"};
    private final Map<String, String> previous = new HashMap<>();
    private GeneratedMosquitto broker;
    private EmbeddedDatabase database;

    @Override
    public Map<String, String> start() {
        try {
            database = EmbeddedDatabase.start(null, false);
            if (!GeneratedMosquitto.available()) { // the hub still starts, so the test can report itself as not run
                return database(Map.of());
            }
            pki = new TestPki("gk8s hub test fleet CA");
            broker = new GeneratedMosquitto(pki, NODES);
            nodePort = broker.nodePort;
            leaveSharedSubscription(broker);
            Path trust = broker.dir.resolve("trust.p12");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("fleet-ca", pki.ca.cert());
            try (OutputStream out = Files.newOutputStream(trust)) {
                ks.store(out, "changeit".toCharArray());
            }
            for (String key : TRUST) {
                previous.put(key, System.getProperty(key));
            }
            System.setProperty(TRUST[0], trust.toString());
            System.setProperty(TRUST[1], "changeit");
            System.setProperty(TRUST[2], "PKCS12");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return database(Map.of("gk8s.mqtt.host", "127.0.0.1", "gk8s.mqtt.port", Integer.toString(broker.hubPort),
                "gk8s.mqtt.ssl", "true", "gk8s.mqtt.username", "gk8s-hub", "gk8s.mqtt.password", broker.hubSecret));
    }

    /**
     * The session a hub of an earlier version leaves (the same client id, {@code gk8s-hub-1}): subscribed to the
     * shared subscription, its default then. The hub that starts next must drop it (GeneratedMosquittoHubTest).
     */
    private static void leaveSharedSubscription(GeneratedMosquitto broker) throws Exception {
        Mqtt5BlockingClient old = Mqtt5Client.builder().identifier("gk8s-hub-1").serverHost("127.0.0.1")
                .serverPort(broker.hubPort).sslConfig().trustManagerFactory(pki.trust()).applySslConfig()
                .simpleAuth().username("gk8s-hub").password(broker.hubSecret.getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().buildBlocking();
        old.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
        old.subscribeWith().topicFilter(MqttSettings.SHARED_SUBSCRIPTION).qos(MqttQos.AT_LEAST_ONCE).send();
        old.disconnect();
    }

    private Map<String, String> database(Map<String, String> mqtt) {
        Map<String, String> config = new HashMap<>(mqtt);
        config.put("quarkus.datasource.reactive.url", database.reactiveUrl());
        config.put("quarkus.datasource.jdbc.url", database.jdbcUrl());
        config.put("quarkus.datasource.username", database.user());
        config.put("quarkus.datasource.password", database.password());
        config.put("gk8s.auth.tokens.tester.sha256", Sha256.hex(HubInfrastructure.OPERATOR_TOKEN));
        config.put("gk8s.auth.tokens.tester.role", "operator");
        return config;
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
