package io.geminik8s.hub.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The hub's ingest connection to the broker, prefix {@code gk8s.mqtt}. */
@ConfigMapping(prefix = "gk8s.mqtt")
public interface MqttSettings {

    @WithDefault("127.0.0.1")
    String host();

    @WithDefault("1883")
    int port();

    /** TLS with the JVM's trust store (javax.net.ssl.* system properties for a private CA and a client key). */
    @WithDefault("false")
    boolean ssl();

    /**
     * The hub's client certificate chain (PEM: the certificate, then the intermediate) for a broker that knows the
     * hub by mTLS, with {@link #tlsKey()}; {@code CaFiles issue-hub} writes both. Needs {@link #ssl()}.
     */
    java.util.Optional<java.nio.file.Path> tlsCert();

    /** The key of {@link #tlsCert()} (unencrypted PKCS#8 PEM, keep it 0600). */
    java.util.Optional<java.nio.file.Path> tlsKey();

    /** The hub's MQTT user name (the zero-install hub: {@code gk8s-hub}, with a secret made at every start). */
    java.util.Optional<String> username();

    java.util.Optional<String> password();

    /**
     * How long the broker keeps this replica's session (and queues for it) after its connection drops: covers a
     * restart. What was queued for a replica gone longer is dropped: with the plain subscription the other replicas
     * received it too; a single hub away longer than this loses it (docs/operations.md).
     */
    @WithDefault("5m")
    Duration sessionExpiry();

    /**
     * MQTT 5 Receive Maximum: messages the broker may send before the hub acknowledges any. Acknowledged only after
     * commit, so this bounds what the hub holds in memory; the broker holds the rest.
     */
    @WithDefault("2000")
    int receiveMaximum();

    /**
     * The ingest subscription: plain by default, so the broker keeps what nodes send for the hub's persistent session
     * while the hub is away. A shared one ({@code $share/gk8s-hub/gk8s/v1/up/#}) splits the stream between replicas,
     * but Mosquitto 2.0 restores a session without it after a restart and drops what nodes send before the hub
     * subscribes again (MosquittoRestartTest), and HiveMQ CE drops what was in flight to a member that crashed.
     */
    @WithDefault(PLAIN_SUBSCRIPTION)
    String subscription();

    String PLAIN_SUBSCRIPTION = "gk8s/v1/up/#";
    String SHARED_SUBSCRIPTION = "$share/gk8s-hub/gk8s/v1/up/#";

    /** How often the hub sends itself a canary through the broker and into PostgreSQL (readiness). */
    @WithDefault("2s")
    Duration canaryInterval();

    /** Ready only while a canary was committed within this long. */
    @WithDefault("10s")
    Duration canaryDeadline();
}
