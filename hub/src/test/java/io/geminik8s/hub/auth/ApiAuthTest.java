package io.geminik8s.hub.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The API refuses callers without a known token, and viewers that try to change something; /q stays open. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ApiAuthTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/yaml");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void tokensAndRoles() throws Exception {
        HttpResponse<String> none = call("GET", "/api/v1/sites", null, null);
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("an API token is required"), none.body());
        assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(401, call("GET", "/api/v1/sites", "not-a-token", null).statusCode());
        // with OIDC off (the default) a JWT is just an unknown API token, whatever it claims
        HttpResponse<String> jwt = call("GET", "/api/v1/sites", "eyJhbGciOiJub25lIn0.eyJncm91cHMiOlsiYWRtaW4iXX0.", null);
        assertEquals(401, jwt.statusCode());
        assertTrue(jwt.body().contains("unknown API token"), jwt.body());
        assertEquals(200, call("GET", "/api/v1/sites", HubInfrastructure.VIEWER_TOKEN, null).statusCode());

        String yaml = Files.readString(Path.of("../fleet-templates/lab.yaml"))
                .replace("name: lab", "name: auth-" + UUID.randomUUID().toString().substring(0, 8));
        HttpResponse<String> viewer = call("POST", "/api/v1/templates", HubInfrastructure.VIEWER_TOKEN, yaml);
        assertEquals(403, viewer.statusCode());
        assertTrue(viewer.body().contains("'noc' is a viewer: this needs a higher role"), viewer.body());
        HttpResponse<String> operator = call("POST", "/api/v1/templates", HubInfrastructure.OPERATOR_TOKEN, yaml);
        assertEquals(201, operator.statusCode(), operator.body());
        assertTrue(operator.body().contains("\"createdBy\":\"tester\""), "the audit names the caller: " + operator.body());

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)) // ready once the first canary is in
                .until(() -> call("GET", "/q/health/ready", null, null).statusCode() == 200);
    }
}
