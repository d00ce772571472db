package io.geminik8s.hub.enrollment;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.Sha256;
import io.geminik8s.hub.pki.CaFiles;
import io.geminik8s.hub.pki.FleetCa;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The zero-install hub's trust set-up for tests: embedded PostgreSQL, a fleet CA in a fresh folder, and the
 * embedded broker with access control on and an mTLS listener trusting that CA's intermediate. The hub connects
 * with its secret on the loopback listener; nodes come in over mTLS.
 */
public class TrustInfrastructure implements QuarkusTestResourceLifecycleManager {

    public static volatile int tlsPort;
    private static final String HUB_SECRET = FleetCaSecret.random();
    private EmbeddedDatabase database;
    private EmbeddedBroker broker;

    @Override
    public Map<String, String> start() {
        try {
            Path home = Files.createTempDirectory("gk8s-trust");
            Path pki = home.resolve("pki");
            FleetCa ca = CaFiles.open(pki, pki.resolve("ca.passphrase"), true);
            database = EmbeddedDatabase.start(null, false);
            tlsPort = FreePort.find();
            broker = new EmbeddedBroker(home.resolve("broker"), 0, false,
                    ca.brokerTls(home.resolve("broker-tls"), tlsPort, List.of("localhost", "127.0.0.1")))
                    .access(HUB_SECRET, false).start();
            return Map.ofEntries(Map.entry("quarkus.datasource.reactive.url", database.reactiveUrl()),
                    Map.entry("quarkus.datasource.jdbc.url", database.jdbcUrl()),
                    Map.entry("quarkus.datasource.username", database.user()),
                    Map.entry("quarkus.datasource.password", database.password()),
                    Map.entry("gk8s.mqtt.host", "127.0.0.1"), Map.entry("gk8s.mqtt.port", Integer.toString(broker.port())),
                    Map.entry("gk8s.mqtt.username", "gk8s-hub"), Map.entry("gk8s.mqtt.password", HUB_SECRET),
                    Map.entry("gk8s.pki.dir", pki.toString()), Map.entry("gk8s.pki.generate", "false"),
                    Map.entry("gk8s.auth.tokens.tester.sha256", Sha256.hex(HubInfrastructure.OPERATOR_TOKEN)),
                    Map.entry("gk8s.auth.tokens.tester.role", "operator"),
                    Map.entry("gk8s.auth.tokens.noc.sha256", Sha256.hex(HubInfrastructure.VIEWER_TOKEN)),
                    Map.entry("gk8s.auth.tokens.noc.role", "viewer"),
                    Map.entry("gk8s.auth.tokens.boss.sha256", Sha256.hex(HubInfrastructure.ADMIN_TOKEN)),
                    Map.entry("gk8s.auth.tokens.boss.role", "admin"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
    }

    /** The hub's broker secret for this test run. */
    static final class FleetCaSecret {
        static String random() {
            byte[] raw = new byte[24];
            new java.security.SecureRandom().nextBytes(raw);
            return java.util.HexFormat.of().formatHex(raw);
        }
    }
}
