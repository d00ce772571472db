package io.geminik8s.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The enrollment and renewal requests carry the node's hardware identity, or no such field without one: a loopback
 * HTTP server records what the real {@link Enroller} and {@link Renewer} send and refuses it (the hub's side is tested
 * in the hub module).
 */
class EnrollerHardwareTest {

    @TempDir
    Path dir;
    private HttpServer server;
    private final BlockingQueue<String> bodies = new ArrayBlockingQueue<>(4);

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/enroll/v1", exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = "{\"detail\":\"recorded by the test\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(403, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private EnrollSettings settings(String hardwareFile) {
        Map<String, String> values = new HashMap<>(Map.of("enroll.url", "http://127.0.0.1:"
                + server.getAddress().getPort(), "enroll.allow-plaintext", "true", "enroll.token", "gk8s-claim-t",
                "site", "s1", "node", "a", "state.dir", dir.resolve("state").toString(),
                "enroll.hardware-id-file", hardwareFile));
        return EnrollSettings.parse(values::get, new ArrayList<>()).orElseThrow();
    }

    private JsonNode sent(String hardwareFile) throws Exception {
        Enroller enroller = new Enroller(settings(hardwareFile));
        var refused = assertThrows(Enroller.Refused.class, enroller::ensure);
        assertEquals(403, refused.status);
        String body = bodies.poll(10, TimeUnit.SECONDS);
        return new ObjectMapper().readTree(body);
    }

    @Test
    void theRequestCarriesTheNormalisedIdentity() throws Exception {
        Path id = Files.writeString(dir.resolve("product_uuid"), "4C4C4544-0051-3510-8052-B7C04F4E3732\n");
        JsonNode body = sent(id.toString());
        assertEquals("4c4c4544-0051-3510-8052-b7c04f4e3732", body.path("hardwareId").asText());
        assertEquals("a", body.path("node").asText());
    }

    @Test
    void theRenewalCarriesItToo() throws Exception {
        Path id = Files.writeString(dir.resolve("product_uuid"), "4C4C4544-0051-3510-8052-B7C04F4E3732\n");
        EnrollSettings s = settings(id.toString());
        KeyPair keys = Enroller.p256(); // a held certificate: self-signed is enough for the request to be sent
        var now = Instant.now();
        var cert = new JcaX509v3CertificateBuilder(new X500Name("CN=s1/a"), BigInteger.TEN, Date.from(now),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=s1/a"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        Files.createDirectories(s.dir());
        Files.write(s.dir().resolve(Enroller.KEY), Enroller.keyPem(keys));
        Files.writeString(s.dir().resolve(Enroller.CERT), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        var failed = assertThrows(IOException.class, () -> new Renewer(s, Duration.ofDays(10)).renew(now));
        assertTrue(failed.getMessage().contains("403"), failed.getMessage());
        JsonNode body = new ObjectMapper().readTree(bodies.poll(10, TimeUnit.SECONDS));
        assertEquals("4c4c4544-0051-3510-8052-b7c04f4e3732", body.path("hardwareId").asText());
        assertTrue(body.has("signature") && body.has("certificate"), "a renewal request, with its proof");
    }

    @Test
    void withoutOneTheFieldIsLeftOut() throws Exception {
        assertFalse(sent(dir.resolve("absent").toString()).has("hardwareId"));
        assertFalse(sent("none").has("hardwareId"));
    }
}
