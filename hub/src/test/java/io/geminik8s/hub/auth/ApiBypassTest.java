package io.geminik8s.hub.auth;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Role;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A hostile client against every way a path can be spelled: matrix parameters, encoded and doubled slashes, dot
 * segments, case, trailing slash, HEAD/OPTIONS and method-override headers. Nothing may change without an operator
 * token, and nothing may be read without a token. Requests go over a raw socket so no client library normalises them.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ApiBypassTest {

    record Reply(int status, String head, String body) {
    }

    static Reply raw(String method, String target, String token, String contentType, String body) throws Exception {
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder req = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Connection: close\r\nContent-Length: " + payload.length + "\r\n");
        if (contentType != null) {
            req.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (token != null) {
            req.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        req.append("X-HTTP-Method-Override: GET\r\nX-HTTP-Method: GET\r\nX-Method-Override: GET\r\n\r\n");
        try (Socket s = new Socket("localhost", RestAssured.port)) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            try {
                out.write(payload);
                out.flush();
            } catch (java.net.SocketException refusedEarly) { // the server answered before reading all of it
                s.shutdownOutput();
            }
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int split = all.indexOf("\r\n\r\n");
            String head = split < 0 ? all : all.substring(0, split);
            return new Reply(Integer.parseInt(head.substring(9, 12)), head, split < 0 ? "" : all.substring(split + 4));
        }
    }

    /** Spellings of a path that a router, a filter and a resource matcher might each read differently. */
    static List<String> spellings(String path) {
        String rest = path.substring("/api/v1/".length());
        return List.of(path, "/api;x/v1/" + rest, "/api/v1;x/" + rest, path + ";x", "//api/v1/" + rest,
                "/api//v1/" + rest, "/api/./v1/" + rest, "/x/../api/v1/" + rest, "/API/v1/" + rest, path + "/",
                "/api%2Fv1/" + rest, "/%61pi/v1/" + rest, "/api/v1/%2e/" + rest, "/api/v1/" + rest + "?x=1",
                "/api/%3Bx/v1/" + rest, "/./api/v1/" + rest);
    }

    @Test
    void noSpellingOfAPathLetsAChangeThroughWithoutAnOperator() throws Exception {
        String site = boundSite();
        long generation = generation(site);
        int rollouts = given().get("/api/v1/rollouts").then().statusCode(200).extract().path("size()");
        String template = "bypass-" + UUID.randomUUID().toString().substring(0, 8);
        String yaml = Files.readString(Path.of("../fleet-templates/lab.yaml")).replace("name: lab", "name: " + template);
        String rollout = "{\"template\":\"store-standard\",\"toRevision\":1,\"selector\":{\"site-kind\":\"none\"}}";

        List<String> passed = new ArrayList<>();
        for (String token : new String[]{null, "wrong", HubInfrastructure.VIEWER_TOKEN}) {
            for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
                tryChange(passed, method, "/api/v1/templates", token, "application/yaml", yaml);
                tryChange(passed, method, "/api/v1/sites/" + site + "/overrides", token, "application/json",
                        "{\"bypassed\": true}");
                tryChange(passed, method, "/api/v1/rollouts", token, "application/json", rollout);
            }
        }
        assertEquals(List.of(), passed, "requests that changed something without an operator token");
        assertEquals(404, given().get("/api/v1/templates/" + template + "/revisions").then().extract().statusCode());
        assertEquals(generation, generation(site), "the site's overrides were not changed");
        assertEquals(rollouts, (int) given().get("/api/v1/rollouts").then().extract().path("size()"));
    }

    private static void tryChange(List<String> passed, String method, String path, String token, String type,
                                  String body) throws Exception {
        for (String target : spellings(path)) {
            Reply r = raw(method, target, token, type, body);
            if (r.status() < 400 || r.status() >= 500) {
                passed.add(method + " " + target + " token=" + (token == null ? "none" : token.length() < 10 ? token
                        : "viewer") + " -> " + r.status() + " " + abbreviate(r.body()));
            }
        }
    }

    @Test
    void nothingIsReadWithoutAToken() throws Exception {
        List<String> passed = new ArrayList<>();
        for (String path : List.of("/api/v1/sites", "/api/v1/templates", "/api/v1/rollouts",
                "/api/v1/pki/crl", "/api/v1/enrollments", "/api/v1/enrollments/hardware")) {
            for (String method : List.of("GET", "HEAD", "OPTIONS", "POST")) {
                for (String token : new String[]{null, "wrong"}) {
                    for (String target : spellings(path)) {
                        Reply r = raw(method, target, token, null, null);
                        boolean leaked = r.status() < 300 && (!method.equals("OPTIONS") || !r.body().isEmpty());
                        if (leaked || r.status() >= 500) {
                            passed.add(method + " " + target + " -> " + r.status() + " " + abbreviate(r.body()));
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), passed, "requests answered with data (or a server error) without a token");
    }

    @Test
    void refusalsAreProblemDetailsAndCounted() throws Exception {
        double before = denied("401");
        Reply none = raw("PUT", "/api;x/v1/sites/x/overrides", null, "application/json", "{}");
        assertEquals(401, none.status());
        assertTrue(none.head().toLowerCase().contains("www-authenticate: bearer"), none.head());
        assertTrue(none.body().contains("an API token is required"), none.body());
        Reply unknown = raw("GET", "/api/v1/sites", "wrong", null, null);
        assertEquals(401, unknown.status());
        assertTrue(unknown.body().contains("unknown API token"), unknown.body());
        await().atMost(Duration.ofSeconds(5)).until(() -> denied("401") >= before + 2);
    }

    static double denied(String status) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("gk8s_api_denied_total{") && l.contains("status=\"" + status))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    static String boundSite() {
        String site = "bypass-" + UUID.randomUUID().toString().substring(0, 8);
        long now = System.currentTimeMillis();
        try (MqttPublisher mqtt = new MqttPublisher()) {
            mqtt.publish(new Birth("1.0", site, "a", now * 1000, now, "t", null, Role.UNKNOWN, Map.of(), List.of(),
                    Map.of("site-kind", "store", "size", "standard"), 0L));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/api/v1/sites/" + site + "/desired")
                .then().extract().path("generation") != null);
        return site;
    }

    static long generation(String site) {
        return ((Number) given().get("/api/v1/sites/" + site + "/desired").then().statusCode(200).extract()
                .path("generation")).longValue();
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
