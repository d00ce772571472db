package io.geminik8s.hub;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Real PostgreSQL and a real MQTT broker for hub tests: Testcontainers where a Docker engine answers, otherwise
 * the embedded ones (zonky PostgreSQL, HiveMQ CE in this JVM). On these build machines there is no Docker engine,
 * so the embedded path is the one that runs; the container path compiles and is kept for machines that have one.
 */
public class HubInfrastructure implements QuarkusTestResourceLifecycleManager {

    /** MQTT port of the running broker, for tests that publish like agents do. */
    public static volatile int mqttPort;
    /** API tokens made for this test run (only their hashes reach the hub); REST Assured sends the operator's. */
    public static final String OPERATOR_TOKEN = jvmWide("gk8s.test.operator-token");
    public static final String VIEWER_TOKEN = jvmWide("gk8s.test.viewer-token");
    public static final String ADMIN_TOKEN = jvmWide("gk8s.test.admin-token");
    /** The folder the hub serves artifacts from (gk8s.artifacts.dir), one per JVM. */
    public static final java.nio.file.Path ARTIFACTS = java.nio.file.Path.of(artifactsDir());

    private static String artifactsDir() {
        synchronized (System.class) {
            String dir = System.getProperty("gk8s.test.artifacts-dir");
            if (dir == null) {
                try {
                    dir = java.nio.file.Files.createTempDirectory("gk8s-hub-artifacts").toString();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                System.setProperty("gk8s.test.artifacts-dir", dir);
            }
            return dir;
        }
    }

    /**
     * One value per JVM: Quarkus may load this class in more than one class loader (a test resource restricted to a
     * class restarts the application), and each copy must send and configure the same tokens.
     */
    private static String jvmWide(String key) {
        synchronized (System.class) {
            String v = System.getProperty(key);
            if (v == null) {
                v = java.util.UUID.randomUUID().toString();
                System.setProperty(key, v);
            }
            return v;
        }
    }

    static {
        // a filter, not a request specification: a specification would pin the port before Quarkus sets it
        io.restassured.RestAssured.filters((req, res, ctx) -> {
            if (!req.getHeaders().hasHeaderWithName("Authorization")) {
                req.header("Authorization", "Bearer " + OPERATOR_TOKEN);
            }
            return ctx.next(req, res);
        });
    }

    private EmbeddedDatabase database;
    private static volatile EmbeddedBroker broker;
    private static volatile java.nio.file.Path brokerHome;

    /** Stops the embedded broker (tests of a broker restart under a running hub). */
    public static synchronized void stopBroker() {
        broker.stop();
    }

    /** Starts a new embedded broker on the same port (its state is gone: a fresh broker, as after a wipe). */
    public static synchronized void startBroker() {
        broker = new EmbeddedBroker(brokerHome, mqttPort, false, null).start();
    }
    private PostgreSQLContainer postgresContainer;
    private GenericContainer<?> brokerContainer;

    @Override
    public Map<String, String> start() {
        String reactiveUrl;
        String jdbcUrl;
        String user;
        String password;
        if (dockerAvailable()) {
            postgresContainer = new PostgreSQLContainer("postgres:17-alpine");
            postgresContainer.start();
            brokerContainer = new GenericContainer<>("hivemq/hivemq-ce:2025.5").withExposedPorts(1883);
            brokerContainer.start();
            jdbcUrl = postgresContainer.getJdbcUrl();
            reactiveUrl = jdbcUrl.substring("jdbc:".length());
            user = postgresContainer.getUsername();
            password = postgresContainer.getPassword();
            mqttPort = brokerContainer.getMappedPort(1883);
        } else {
            try {
                database = EmbeddedDatabase.start(null, false);
                brokerHome = Files.createTempDirectory("gk8s-broker");
                broker = new EmbeddedBroker(brokerHome, 0, false, null).start();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            jdbcUrl = database.jdbcUrl();
            reactiveUrl = database.reactiveUrl();
            user = database.user();
            password = database.password();
            mqttPort = broker.port();
        }
        return Map.ofEntries(Map.entry("quarkus.datasource.reactive.url", reactiveUrl),
                Map.entry("quarkus.datasource.jdbc.url", jdbcUrl), Map.entry("quarkus.datasource.username", user),
                Map.entry("quarkus.datasource.password", password), Map.entry("gk8s.mqtt.host", "127.0.0.1"),
                Map.entry("gk8s.mqtt.port", Integer.toString(mqttPort)),
                Map.entry("gk8s.auth.tokens.tester.sha256", Sha256.hex(OPERATOR_TOKEN)),
                Map.entry("gk8s.auth.tokens.tester.role", "operator"),
                Map.entry("gk8s.auth.tokens.noc.sha256", Sha256.hex(VIEWER_TOKEN)),
                Map.entry("gk8s.auth.tokens.noc.role", "viewer"),
                Map.entry("gk8s.auth.tokens.boss.sha256", Sha256.hex(ADMIN_TOKEN)),
                Map.entry("gk8s.auth.tokens.boss.role", "admin"),
                Map.entry("gk8s.artifacts.dir", ARTIFACTS.toString()));
    }

    private static boolean dockerAvailable() {
        if (System.getenv("DOCKER_HOST") == null && !java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/docker.sock"))) {
            return false; // no engine to ask: skip Testcontainers' own probing and its error log
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
        if (database != null) {
            database.close();
        }
        if (brokerContainer != null) {
            brokerContainer.stop();
        }
        if (postgresContainer != null) {
            postgresContainer.stop();
        }
    }

}
