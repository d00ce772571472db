package io.geminik8s.cli.mosquitto;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The attacks of issue 12 on Debian's Mosquitto 2.0 started from the files {@code gk8s mosquitto-config} writes: no
 * client without an identity gets in, a node speaks and hears only for itself, only the hub publishes to nodes and
 * takes ingest, and nothing a node was refused reaches the hub. Mosquitto drops an unauthorised publish without
 * telling the client, so each attack is followed by a legitimate message on the same connection: once that has
 * arrived, the refused one would have arrived before it.
 */
class MosquittoAclTest {

    private static final List<String> NODES = List.of("s1/a", "s1/b", "s2/a");
    private static TestPki pki;
    private static GeneratedMosquitto broker;
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();

    /** Everything a client received, as {@code topic payload}. */
    record Inbox(Mqtt5AsyncClient client, Queue<String> got) {
        void awaitGot(String topic, String payload) {
            await().atMost(Duration.ofSeconds(10)).until(() -> got.contains(topic + " " + payload));
        }

        boolean anyPayload(String payload) {
            return got.stream().anyMatch(m -> m.endsWith(" " + payload));
        }
    }

    @BeforeAll
    static void start() throws Exception {
        if (!GeneratedMosquitto.available()) {
            return;
        }
        pki = new TestPki("gk8s test fleet CA");
        broker = new GeneratedMosquitto(pki, NODES);
    }

    @AfterAll
    static void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void disconnect() {
        clients.stream().filter(c -> c.getState().isConnected()).forEach(c -> c.disconnect());
    }

    private static void requireBroker() {
        assumeTrue(broker != null, "Debian's mosquitto is not installed: this test did not run");
    }

    @Test
    void noClientWithoutAnIdentityGetsIn() throws Exception {
        requireBroker();
        // the hub's listener: no credentials, a wrong password, a node's certificate without the password
        assertRefused(hubBuilder("anon-1", null));
        assertRefused(hubBuilder("anon-2", "guess"));
        assertRefused(hubBuilder("anon-3", null).sslConfig().trustManagerFactory(pki.trust())
                .keyManagerFactory(pki.issue("s1/a", false).keyManagers(pki.ca.cert())).applySslConfig());
        // the nodes' listener: no certificate, a certificate for a known node from another CA
        assertRefused(Mqtt5Client.builder().identifier("anon-4").serverHost("127.0.0.1").serverPort(broker.nodePort)
                .sslConfig().trustManagerFactory(pki.trust()).applySslConfig());
        TestPki rogue = new TestPki("rogue CA");
        assertRefused(Mqtt5Client.builder().identifier("gk8s-s1-a").serverHost("127.0.0.1")
                .serverPort(broker.nodePort).sslConfig().trustManagerFactory(pki.trust())
                .keyManagerFactory(rogue.issue("s1/a", false).keyManagers(rogue.ca.cert())).applySslConfig());
        // plain MQTT on either port is no TLS handshake
        assertRefused(Mqtt5Client.builder().identifier("anon-5").serverHost("127.0.0.1").serverPort(broker.hubPort));
        // and the hub with its password gets in
        connect(hubBuilder("gk8s-hub-1", broker.hubSecret));
    }

    @Test
    void aNodeCannotSpeakForAnotherNodeOrSiteAndTheHubGetsOnlyTheTruth() throws Exception {
        requireBroker();
        Inbox hub = hub("gk8s-hub-1");
        Inbox a = node("s1/a", "gk8s-s1-a");
        String forged = "forged-" + UUID.randomUUID();
        for (String topic : List.of("gk8s/v1/up/s1/b/event", "gk8s/v1/up/s2/a/health", "gk8s/v1/up/s2/a/witness",
                "gk8s/v1/up/s1/a/x/y", "gk8s/v1/hub/1/canary", "gk8s/v1/other")) {
            publishRefused(a, topic, forged, false);
        }
        String own = "own-" + UUID.randomUUID();
        publish(a, "gk8s/v1/up/s1/a/event", own, false);
        hub.awaitGot("gk8s/v1/up/s1/a/event", own);
        assertFalse(hub.anyPayload(forged), () -> "the hub received a forged message: " + hub.got());
    }

    @Test
    void theHubsSharedSubscriptionReceivesNodesWhileNoNodeJoinsIt() throws Exception {
        requireBroker();
        Inbox hub = hub("gk8s-hub-1", "$share/gk8s-hub/gk8s/v1/up/#");
        Inbox b = node("s1/b", "gk8s-s1-b");
        String own = "own-" + UUID.randomUUID();
        publish(b, "gk8s/v1/up/s1/b/health", own, false);
        hub.awaitGot("gk8s/v1/up/s1/b/health", own);
    }

    /** Each listener has its own ACL: a certificate named like the hub is a node with a strange name, no more. */
    @Test
    void aCertificateNamedLikeTheHubGetsNoHubRights() throws Exception {
        requireBroker();
        Inbox hub = hub("gk8s-hub-1");
        Inbox fake = node(MosquittoConfig.HUB_USER, "gk8s-hub-2");
        subscribe(fake, "gk8s/v1/up/#");
        String forged = "forged-" + UUID.randomUUID();
        publishRefused(fake, "gk8s/v1/down/s1/desired", forged, true);
        publishRefused(fake, "gk8s/v1/hub/1/canary", forged, false);
        Inbox a = node("s1/a", "gk8s-s1-a");
        subscribe(a, "gk8s/v1/down/s1/desired");
        String own = "own-" + UUID.randomUUID();
        publish(a, "gk8s/v1/up/s1/a/event", own, false);
        hub.awaitGot("gk8s/v1/up/s1/a/event", own);
        String real = "real-" + UUID.randomUUID();
        publish(hub, "gk8s/v1/down/s1/desired", real, true);
        a.awaitGot("gk8s/v1/down/s1/desired", real);
        assertFalse(a.anyPayload(forged) || hub.anyPayload(forged), "a forged message was delivered");
        assertTrue(fake.got().isEmpty(), () -> "a certificate CN=gk8s-hub read up/: " + fake.got());
    }

    @Test
    void aNodesLastWillForAnotherNodeNeverReachesTheHub() throws Exception {
        requireBroker();
        Inbox hub = hub("gk8s-hub-1");
        String will = "will-" + UUID.randomUUID();
        Mqtt5AsyncClient liar = nodeBuilder("s1/a", "gk8s-s1-a").willPublish().topic("gk8s/v1/up/s1/b/status")
                .payload(will.getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).applyWillPublish()
                .buildAsync();
        try {
            liar.connect().get(10, TimeUnit.SECONDS);
            liar.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send()
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException refusedAtConnect) {
            // refusing the connection outright is as good
        }
        Inbox a = node("s1/a", "gk8s-s1-a");
        String own = "own-" + UUID.randomUUID();
        publish(a, "gk8s/v1/up/s1/a/event", own, false);
        hub.awaitGot("gk8s/v1/up/s1/a/event", own);
        assertFalse(hub.anyPayload(will), () -> "a forged Last Will reached the hub: " + hub.got());
    }

    @Test
    void aNodeHearsOnlyItsOwnSiteAndItself() throws Exception {
        requireBroker();
        Inbox hub = hub("gk8s-hub-1");
        String secret = "other-" + UUID.randomUUID();
        publish(hub, "gk8s/v1/down/s2/desired", secret, true);
        publish(hub, "gk8s/v1/down/s1/b/witness", secret, true);
        Inbox a = node("s1/a", "gk8s-s1-a");
        // Mosquitto's ACL file grants every SUBSCRIBE and checks each message at delivery (read access)
        for (String filter : List.of("gk8s/v1/down/s2/desired", "gk8s/v1/down/s1/b/+", "gk8s/v1/down/#",
                "gk8s/v1/up/#", "gk8s/v1/+/s2/#", "#", "$share/gk8s-hub/gk8s/v1/up/#",
                "gk8s/v1/down/s1/desired", "gk8s/v1/down/s1/a/+")) {
            subscribe(a, filter);
        }
        // live messages for others, then one for this node: it arrives, the others never do
        publish(hub, "gk8s/v1/down/s2/desired", secret, true);
        publish(hub, "gk8s/v1/down/s1/b/cmd", secret, false);
        Inbox b = node("s1/b", "gk8s-s1-b");
        publish(b, "gk8s/v1/up/s1/b/event", secret, false); // s1/a reads no up/ topic
        String mine = "mine-" + UUID.randomUUID();
        publish(hub, "gk8s/v1/down/s1/desired", mine, true);
        publish(hub, "gk8s/v1/down/s1/a/cmd", mine, false);
        a.awaitGot("gk8s/v1/down/s1/desired", mine);
        a.awaitGot("gk8s/v1/down/s1/a/cmd", mine);
        assertFalse(a.anyPayload(secret), () -> "s1/a heard another's message: " + a.got());
    }

    @Test
    void onlyTheHubPublishesToNodes() throws Exception {
        requireBroker();
        Inbox hub = hub("gk8s-hub-1");
        String real = "real-" + UUID.randomUUID();
        publish(hub, "gk8s/v1/down/s1/desired", real, true);
        Inbox a = node("s1/a", "gk8s-s1-a");
        String forged = "generation-1000000-" + UUID.randomUUID();
        publishRefused(a, "gk8s/v1/down/s1/desired", forged, true);
        publishRefused(a, "gk8s/v1/down/s1/b/witness", forged, false);
        publishRefused(a, "gk8s/v1/down/s1/b/cmd", forged, false);
        Inbox b = node("s1/b", "gk8s-s1-b");
        subscribe(b, "gk8s/v1/down/s1/desired");
        subscribe(b, "gk8s/v1/down/s1/b/+");
        b.awaitGot("gk8s/v1/down/s1/desired", real); // the retained state is still the hub's
        String cmd = "cmd-" + UUID.randomUUID();
        publishRefused(a, "gk8s/v1/down/s1/b/cmd", forged, false);
        publish(hub, "gk8s/v1/down/s1/b/cmd", cmd, false);
        b.awaitGot("gk8s/v1/down/s1/b/cmd", cmd);
        assertFalse(b.anyPayload(forged), () -> "s1/b received a node's message on down/: " + b.got());
    }

    /**
     * Mosquitto grants a node's SUBSCRIBE to {@code $share/gk8s-hub/...}, makes it a member of the group and then
     * drops the messages it assigns to it (no read access): against a shared hub subscription that loses ingest
     * (measured: the hub never got all 40). So on Mosquitto the hub subscribes plainly ({@code gk8s/v1/up/#}, one
     * replica, docs/security.md) and receives every message whoever joins the group.
     */
    @Test
    void aNodeJoiningTheHubsShareTakesNothingFromAHubThatSubscribesPlainly() throws Exception {
        requireBroker();
        Inbox hub = connect(hubBuilder("gk8s-hub-1", broker.hubSecret));
        subscribe(hub, "gk8s/v1/up/#");
        Inbox thief = node("s1/b", "gk8s-hub-2");
        for (String filter : List.of("$share/gk8s-hub/gk8s/v1/up/#", "$share/gk8s-hub/gk8s/v1/up/s1/a/+",
                "$share/x/gk8s/v1/up/#")) {
            subscribe(thief, filter);
        }
        Inbox a = node("s1/a", "gk8s-s1-a");
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String p = "event-" + i + "-" + UUID.randomUUID();
            sent.add(p);
            publish(a, "gk8s/v1/up/s1/a/event", p, false);
        }
        for (String p : sent) {
            hub.awaitGot("gk8s/v1/up/s1/a/event", p);
        }
        assertTrue(thief.got().isEmpty(), () -> "a node took ingest: " + thief.got());
    }

    @Test
    void aNodeCannotTakeTheHubsOrAnotherNodesSession() throws Exception {
        requireBroker();
        Inbox hub = hub("gk8s-hub-1");
        Inbox a = node("s1/a", "gk8s-s1-a");
        // the client ids the hub and s1/a asked for; Mosquitto replaces them with the certificate's identity
        node("s2/a", "gk8s-hub-1");
        node("s1/b", "gk8s-s1-a");
        String after = "after-" + UUID.randomUUID();
        publish(a, "gk8s/v1/up/s1/a/event", after, false);
        hub.awaitGot("gk8s/v1/up/s1/a/event", after);
        assertTrue(hub.client().getState().isConnected() && a.client().getState().isConnected());
    }

    // ---- clients

    private Mqtt5ClientBuilder hubBuilder(String clientId, String password) throws Exception {
        Mqtt5ClientBuilder b = Mqtt5Client.builder().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(broker.hubPort).sslConfig().trustManagerFactory(pki.trust()).applySslConfig();
        return password == null ? b : b.simpleAuth().username(MosquittoConfig.HUB_USER)
                .password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
    }

    private Mqtt5ClientBuilder nodeBuilder(String cn, String clientId) throws Exception {
        return Mqtt5Client.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(broker.nodePort)
                .sslConfig().trustManagerFactory(pki.trust()).keyManagerFactory(pki.issue(cn, false)
                        .keyManagers(pki.ca.cert())).applySslConfig();
    }

    /**
     * The hub as it connects to Mosquitto: its own listener, its password, the plain ingest subscription
     * ({@code gk8s.mqtt.subscription=gk8s/v1/up/#}) and its canary.
     */
    private Inbox hub(String clientId) throws Exception {
        return hub(clientId, "gk8s/v1/up/#");
    }

    private Inbox hub(String clientId, String ingest) throws Exception {
        Inbox hub = connect(hubBuilder(clientId, broker.hubSecret));
        subscribe(hub, ingest);
        subscribe(hub, "gk8s/v1/hub/1/canary");
        String canary = "canary-" + UUID.randomUUID();
        publish(hub, "gk8s/v1/hub/1/canary", canary, false);
        hub.awaitGot("gk8s/v1/hub/1/canary", canary);
        return hub;
    }

    private Inbox node(String cn, String clientId) throws Exception {
        return connect(nodeBuilder(cn, clientId));
    }

    private Inbox connect(Mqtt5ClientBuilder builder) throws Exception {
        Mqtt5AsyncClient c = builder.buildAsync();
        Queue<String> got = new ConcurrentLinkedQueue<>();
        c.publishes(MqttGlobalPublishFilter.ALL, p -> got.add(p.getTopic() + " "
                + StandardCharsets.UTF_8.decode(p.getPayload().orElse(java.nio.ByteBuffer.allocate(0)))));
        c.connect().get(10, TimeUnit.SECONDS);
        clients.add(c);
        return new Inbox(c, got);
    }

    private static void subscribe(Inbox in, String filter) throws Exception {
        Mqtt5SubAck ack = in.client().subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send()
                .get(10, TimeUnit.SECONDS);
        assertFalse(ack.getReasonCodes().get(0).isError(), () -> filter + ": " + ack);
    }

    private static void publish(Inbox from, String topic, String payload, boolean retain) throws Exception {
        from.client().publishWith().topic(topic).payload(payload.getBytes(StandardCharsets.UTF_8))
                .qos(MqttQos.AT_LEAST_ONCE).retain(retain).send().get(10, TimeUnit.SECONDS);
    }

    /** An unauthorised publish: Mosquitto 2.0 answers a QoS 1 publish of an MQTT 5 client NOT_AUTHORIZED. */
    private static void publishRefused(Inbox from, String topic, String payload, boolean retain) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> publish(from, topic, payload, retain),
                topic);
        Mqtt5PubAckException refused = assertInstanceOf(Mqtt5PubAckException.class, e.getCause(), topic);
        assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, refused.getMqttMessage().getReasonCode(), topic);
    }

    private static void assertRefused(Mqtt5ClientBuilder builder) {
        Mqtt5AsyncClient c = builder.buildAsync();
        assertThrows(ExecutionException.class, () -> c.connect().get(10, TimeUnit.SECONDS));
    }
}
