package io.geminik8s.hub.template;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Template revisions through the API and the folder, on the real database. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class TemplateApiTest {

    private static String template(String name, String k3s) throws Exception {
        return Files.readString(Path.of("../fleet-templates/store-standard.yaml"))
                .replace("name: store-standard", "name: " + name).replace("v1.31.4+k3s1", k3s);
    }

    private static ExtractableResponse<Response> post(String path, String yaml) {
        return given().contentType("application/yaml").body(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .post(path).then().extract();
    }

    @Test
    void theFolderIsLoadedAsRevisions() {
        await().atMost(Duration.ofSeconds(20)).until(() ->
                given().get("/api/v1/templates/folder").then().extract().statusCode() == 200);
        List<String> files = given().get("/api/v1/templates/folder").then().extract().path("files.file");
        assertEquals(List.of("lab.yaml", "store-large.yaml", "store-standard.yaml"), files);
        List<List<String>> problems = given().get("/api/v1/templates/folder").then().extract().path("files.problems");
        problems.forEach(p -> assertEquals(List.of(), p));
        List<String> names = given().get("/api/v1/templates").then().statusCode(200).extract().path("name");
        assertTrue(names.containsAll(List.of("lab", "store-large", "store-standard")), names.toString());
    }

    @Test
    void aChangeIsANewRevisionTheSameContentIsNotAndSkewIsRefused() throws Exception {
        String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
        var first = post("/api/v1/templates", template(name, "v1.31.4+k3s1"));
        assertEquals(201, first.statusCode(), first.asString());
        assertEquals(1, (int) first.path("revision"));
        var again = post("/api/v1/templates", template(name, "v1.31.4+k3s1"));
        assertEquals(200, again.statusCode(), "unchanged: no new revision");
        assertEquals(1, (int) again.path("revision"));
        var second = post("/api/v1/templates", template(name, "v1.32.0+k3s1"));
        assertEquals(201, second.statusCode(), second.asString());
        assertEquals(2, (int) second.path("revision"));

        var skew = post("/api/v1/templates", template(name, "v1.34.0+k3s1"));
        assertEquals(422, skew.statusCode());
        assertEquals(List.of("request:14:5: spec.versions.k3s: from v1.32.0+k3s1 to v1.34.0+k3s1 skips a minor version:"
                + " Kubernetes upgrades one minor at a time (revision 2 → 3)"), skew.path("problems"));
        var broken = post("/api/v1/templates", template(name, "v1.32.0+k3s1").replace("soakMinutes: 30", "soak: 30"));
        assertEquals(422, broken.statusCode());
        assertTrue(broken.<List<String>>path("problems").get(0).startsWith("request:36:5: spec.rollout.soak: unknown"),
                broken.asString());

        assertEquals(List.of(1, 2), given().get("/api/v1/templates/" + name + "/revisions").then().statusCode(200)
                .extract().path("revision"));
        assertEquals("v1.32.0+k3s1", given().get("/api/v1/templates/" + name + "/revisions/2").then().statusCode(200)
                .extract().path("spec.spec.versions.k3s"));
        var diff = given().get("/api/v1/templates/" + name + "/diff?from=1&to=2").then().statusCode(200).extract();
        assertEquals(List.of("spec.versions.k3s"), diff.path("changes.path"));
        assertEquals(List.of("v1.31.4+k3s1"), diff.path("changes.from"));
        assertEquals(404, given().get("/api/v1/templates/no-such/revisions").then().extract().statusCode());
        assertEquals(404, given().get("/api/v1/templates/" + name + "/revisions/9").then().extract().statusCode());
    }

    @Test
    void validateReportsEveryProblemWithoutStoring() throws Exception {
        var ok = post("/api/v1/templates/validate", template("v-ok", "v1.31.4+k3s1"));
        assertEquals(true, ok.path("valid"));
        var bad = post("/api/v1/templates/validate", template("v-bad", "1.31").replace("cpuPctMax: 90", "cpuPctMax: 0"));
        assertEquals(false, bad.path("valid"));
        assertEquals(2, bad.<List<String>>path("problems").size(), bad.asString());
        assertEquals(404, given().get("/api/v1/templates/v-bad/revisions").then().extract().statusCode());
    }
}
