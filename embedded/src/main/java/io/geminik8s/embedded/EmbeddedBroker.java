package io.geminik8s.embedded;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * HiveMQ CE running in this JVM, bound to loopback. Can be stopped and started again on the same ports (a broker
 * outage). With {@code persistent} the broker keeps sessions, queued messages and retained messages on disk under
 * {@code home/data} across restarts; otherwise in memory.
 */
public final class EmbeddedBroker implements AutoCloseable {

    /** Optional TLS listener: PKCS12 key store of the broker; trust store of client CAs for mTLS. */
    public record Tls(int port, Path keystore, String keystorePassword, Path truststore, String truststorePassword,
                      boolean clientCertRequired) {
    }

    /**
     * Larger packets are refused by the broker itself, so that no client can send the hub (whose MQTT client
     * allows a little more) a message that would break its connection; the hub's codec limit is lower still.
     */
    public static final int MAX_PACKET_BYTES = 128 * 1024;

    private final Path home;
    private final String bindAddress;
    private final int port;
    private final boolean persistent;
    private final Tls tls;
    private long maxConnections = -1;
    private String exemptPrefix = "";
    private BrokerAccess access;
    private ConnectionLimit limit;
    private EmbeddedHiveMQ hivemq;

    public EmbeddedBroker(Path home, int port, boolean persistent, Tls tls) {
        this(home, "127.0.0.1", port, persistent, tls);
    }

    /** {@code bindAddress}: loopback by default; an address inside a test network namespace for the HA harness. */
    public EmbeddedBroker(Path home, String bindAddress, int port, boolean persistent, Tls tls) {
        this.home = home;
        this.bindAddress = bindAddress;
        this.port = port == 0 ? FreePort.find() : port;
        this.persistent = persistent;
        this.tls = tls;
    }

    public int port() {
        return port;
    }

    /**
     * At most {@code max} client connections (-1: no limit); the broker refuses more with CONNACK "quota exceeded",
     * except clients whose id starts with {@code exemptClientIdPrefix} (the hub's own). Takes effect at the next start.
     */
    public synchronized EmbeddedBroker maxConnections(long max, String exemptClientIdPrefix) {
        if (max < -1 || max == 0) {
            throw new IllegalArgumentException("max connections must be positive or -1 (no limit), not " + max);
        }
        this.maxConnections = max;
        this.exemptPrefix = exemptClientIdPrefix;
        return this;
    }

    /**
     * Access control by identity (docs/security.md): the hub connects as {@code gk8s-hub} with {@code hubSecret}; a
     * node as {@code <site>/<node>} by its client certificate's CN, or — unless {@code requireCertificates} — by its
     * user name. Takes effect at the next start.
     */
    public synchronized EmbeddedBroker access(String hubSecret, boolean requireCertificates) {
        this.access = new BrokerAccess(hubSecret, requireCertificates);
        return this;
    }

    /** Clients refused at CONNECT for who they are (or are not) since the last start. */
    public synchronized long unauthorizedConnections() {
        return limit == null ? 0 : limit.unauthorized();
    }

    /** Clients refused at the connection limit since the last start. */
    public synchronized long refusedConnections() {
        return limit == null ? 0 : limit.refused();
    }

    public long maxConnections() {
        return maxConnections;
    }

    /**
     * The connection limit that keeps a process within its open-file limit: every client connection holds a file
     * descriptor, and the rest of the process (broker persistence, database pool, HTTP) needs {@code reserve} more.
     * At the open-file limit the process can no longer accept anything — its HTTP API included — so the broker must
     * refuse clients before that. Under a small limit (below twice the reserve) half of it goes to clients. -1 (no
     * limit) when the open-file limit is unknown or unlimited.
     */
    public static long connectionsWithin(long openFilesLimit, long reserve) {
        if (openFilesLimit <= 0 || openFilesLimit == Long.MAX_VALUE) {
            return -1;
        }
        return openFilesLimit > 2 * reserve ? openFilesLimit - reserve : Math.max(1, openFilesLimit / 2);
    }

    /** Clients connected now (HiveMQ's own gauge); 0 when stopped. */
    public synchronized long connections() {
        if (hivemq == null) {
            return 0;
        }
        var g = hivemq.getMetricRegistry().getGauges().get(ConnectionLimit.OPEN_CONNECTIONS);
        return g == null ? 0 : ((Number) g.getValue()).longValue();
    }

    public synchronized EmbeddedBroker start() {
        if (hivemq != null) {
            return this;
        }
        try {
            Path conf = Files.createDirectories(home.resolve("conf"));
            Files.createDirectories(home.resolve("data"));
            Files.createDirectories(home.resolve("extensions"));
            Files.writeString(conf.resolve("config.xml"), configXml());
            StoreBuckets.apply(home.resolve("data"));
            // it names the TLS key store's password: the broker's user only
            Files.setPosixFilePermissions(conf.resolve("config.xml"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            var builder = EmbeddedHiveMQ.builder().withConfigurationFolder(conf).withDataFolder(home.resolve("data"))
                    .withExtensionsFolder(home.resolve("extensions")).withoutLoggingBootstrap();
            limit = maxConnections < 0 && access == null ? null
                    : new ConnectionLimit(maxConnections, exemptPrefix, access);
            if (limit != null) {
                builder.withEmbeddedExtension(EmbeddedExtension.builder().withId("gk8s-connection-limit")
                        .withName("gk8s access and connection limit").withVersion("1").withAuthor("geminik8s")
                        .withExtensionMain(limit).build());
            }
            hivemq = builder.build();
            hivemq.start().get(60, TimeUnit.SECONDS);
            if (limit != null) {
                limit.ready().get(60, TimeUnit.SECONDS); // revoked certificates read back before anyone is let in
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("embedded broker failed to start on port " + port, e);
        }
    }

    public synchronized void stop() {
        if (hivemq == null) {
            return;
        }
        try {
            hivemq.stop().get(60, TimeUnit.SECONDS);
            hivemq.close();
        } catch (Exception e) {
            throw new IllegalStateException("embedded broker failed to stop", e);
        } finally {
            hivemq = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private String configXml() {
        StringBuilder x = new StringBuilder("""
                <?xml version="1.0"?>
                <hivemq>
                  <listeners>
                    <tcp-listener><port>%d</port><bind-address>%s</bind-address></tcp-listener>
                """.formatted(port, bindAddress));
        if (tls != null) {
            x.append("""
                        <tls-tcp-listener>
                          <port>%d</port><bind-address>%s</bind-address>
                          <tls>
                            <protocols><protocol>TLSv1.3</protocol><protocol>TLSv1.2</protocol></protocols>
                            <keystore><path>%s</path><password>%s</password><private-key-password>%s</private-key-password></keystore>
                            %s
                            <client-authentication-mode>%s</client-authentication-mode>
                          </tls>
                        </tls-tcp-listener>
                    """.formatted(tls.port(), bindAddress, tls.keystore(), tls.keystorePassword(), tls.keystorePassword(),
                    tls.truststore() == null ? "" : "<truststore><path>" + tls.truststore() + "</path><password>"
                            + tls.truststorePassword() + "</password></truststore>",
                    tls.clientCertRequired() ? "REQUIRED" : "NONE"));
        }
        x.append("""
                  </listeners>
                  <mqtt>
                    <packets><max-packet-size>%d</max-packet-size></packets>
                    <queued-messages><max-queue-size>1000000</max-queue-size></queued-messages>
                  </mqtt>
                  <persistence><mode>%s</mode></persistence>
                  <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
                </hivemq>
                """.formatted(MAX_PACKET_BYTES, persistent ? "file" : "in-memory"));
        return x.toString();
    }
}
