package io.geminik8s.hub.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.Test;

/**
 * People with tokens from the organisation's IdP (signed here with {@link TestIdp}'s key) on the same bearer path as
 * API tokens: each mapped role does what it may and no more; an expired token, a wrong signature, issuer or audience,
 * {@code alg=none} and an unmapped group are refused; API tokens keep working beside it.
 */
@QuarkusTest
@WithTestResource(value = OidcInfrastructure.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class OidcTokensTest {

    private static Response get(String token) {
        return given().header("Authorization", "Bearer " + token).get("/api/v1/sites");
    }

    private static Response postTemplate(String token) throws Exception {
        String yaml = Files.readString(Path.of("../fleet-templates/lab.yaml"))
                .replace("name: lab", "name: oidc-" + UUID.randomUUID().toString().substring(0, 8));
        return given().header("Authorization", "Bearer " + token).contentType("application/yaml")
                .body(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .post("/api/v1/templates");
    }

    private static String signed(String user, String... groups) throws Exception {
        return TestIdp.sign(TestIdp.person(user, List.of(groups)), TestIdp.privateKey());
    }

    @Test
    void eachMappedRoleDoesWhatItMayAndTheAuditNamesThePerson() throws Exception {
        String viewer = signed("vera", "fleet-viewers", "staff");
        Response read = get(viewer);
        assertEquals(200, read.statusCode(), read.body().asString());
        Response refused = postTemplate(viewer);
        assertEquals(403, refused.statusCode(), refused.body().asString());
        assertTrue(refused.body().asString().contains("'vera' is a viewer"), refused.body().asString());

        Response operator = postTemplate(signed("otto", "fleet-operators"));
        assertEquals(201, operator.statusCode(), operator.body().asString());
        assertEquals("otto", operator.jsonPath().getString("createdBy"), "the audit names the person");

        String admin = signed("ada", "fleet-viewers", "fleet-admins");
        assertEquals(200, get(admin).statusCode());
        assertEquals(201, postTemplate(admin).statusCode(), "an admin includes operator");
    }

    @Test
    void aGroupTheMappingDoesNotGrantGivesNoRole() throws Exception {
        // "admin" and "operator" are role names here, not groups the mapping grants: quarkus-oidc's own role
        // reading (the groups claim) must not make this person an admin
        String unmapped = signed("mallory", "admin", "operator", "viewer", "staff");
        assertEquals(403, get(unmapped).statusCode());
        assertEquals(403, postTemplate(unmapped).statusCode());
        assertEquals(403, get(signed("nobody")).statusCode());
    }

    @Test
    void forgedExpiredOrMisaddressedTokensAreRefused() throws Exception {
        JwtClaims admin = TestIdp.person("eve", List.of("fleet-admins"));
        assertEquals(401, get(TestIdp.sign(TestIdp.expired(admin), TestIdp.privateKey())).statusCode(), "expired");
        assertEquals(401, get(TestIdp.sign(TestIdp.person("eve", List.of("fleet-admins")), TestIdp.otherKey()))
                .statusCode(), "signed by another key");
        JwtClaims issuer = TestIdp.person("eve", List.of("fleet-admins"));
        issuer.setIssuer("https://evil.example/realms/fleet");
        assertEquals(401, get(TestIdp.sign(issuer, TestIdp.privateKey())).statusCode(), "wrong issuer");
        JwtClaims audience = TestIdp.person("eve", List.of("fleet-admins"));
        audience.setAudience("some-other-app");
        assertEquals(401, get(TestIdp.sign(audience, TestIdp.privateKey())).statusCode(), "wrong audience");
        JwtClaims none = TestIdp.person("eve", List.of("fleet-admins"));
        Response unsigned = get(TestIdp.unsigned(none));
        assertEquals(401, unsigned.statusCode(), "alg=none");
        assertEquals("Bearer", unsigned.header("WWW-Authenticate"));
        assertTrue(unsigned.body().asString().contains("the token was not accepted"), unsigned.body().asString());
        String good = signed("eve", "fleet-admins");
        String tampered = good.substring(0, good.indexOf('.') + 1)
                + TestIdp.person("eve", List.of("fleet-admins")).toJson().transform(s -> java.util.Base64
                        .getUrlEncoder().withoutPadding().encodeToString(s.replace("eve", "eva").getBytes()))
                + good.substring(good.lastIndexOf('.'));
        assertEquals(401, get(tampered).statusCode(), "payload changed after signing");
        assertEquals(200, get(good).statusCode(), "the same person with a valid token");
    }

    /** ApiBypassTest's spellings of a change, with tokens that must not change anything. */
    @Test
    void noSpellingOfAPathLetsABadOrLowTokenChangeAnything() throws Exception {
        String template = "oidc-bypass-" + UUID.randomUUID().toString().substring(0, 8);
        String yaml = Files.readString(Path.of("../fleet-templates/lab.yaml")).replace("name: lab", "name: " + template);
        List<String> tokens = List.of(signed("vera", "fleet-viewers"), signed("mallory", "admin", "operator"),
                TestIdp.unsigned(TestIdp.person("eve", List.of("fleet-admins"))),
                TestIdp.sign(TestIdp.expired(TestIdp.person("eve", List.of("fleet-admins"))), TestIdp.privateKey()));
        List<String> passed = new java.util.ArrayList<>();
        for (String token : tokens) {
            for (String method : List.of("POST", "PUT")) {
                for (String target : ApiBypassTest.spellings("/api/v1/templates")) {
                    ApiBypassTest.Reply r = ApiBypassTest.raw(method, target, token, "application/yaml", yaml);
                    if (r.status() < 400 || r.status() >= 500) {
                        passed.add(method + " " + target + " -> " + r.status());
                    }
                }
            }
        }
        assertEquals(List.of(), passed, "changes through with a viewer, unmapped, unsigned or expired JWT");
        assertEquals(404, given().get("/api/v1/templates/" + template + "/revisions").statusCode());
    }

    @Test
    void apiTokensStillWorkBesideOidc() throws Exception {
        assertEquals(200, get(HubInfrastructure.VIEWER_TOKEN).statusCode());
        assertEquals(403, postTemplate(HubInfrastructure.VIEWER_TOKEN).statusCode());
        assertEquals(201, postTemplate(HubInfrastructure.OPERATOR_TOKEN).statusCode());
        assertEquals(401, get("not-a-token").statusCode());
        assertEquals(401, given().header("Authorization", "Bearer").get("/api/v1/sites").statusCode());
    }
}
