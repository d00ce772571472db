package io.geminik8s.hub.auth;

import static io.geminik8s.hub.auth.ApiBypassTest.raw;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Oversized and malformed input is refused with a status and a detail naming what was wrong, never a 500. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ApiInputLimitsTest {

    private static final String OPERATOR = HubInfrastructure.OPERATOR_TOKEN;

    @Test
    void aDesiredStateLargerThanTheBrokerCarriesIsRefusedAndNothingChanges() throws Exception {
        String site = ApiBypassTest.boundSite();
        long generation = ApiBypassTest.generation(site);
        String big = "{\"blob\":\"" + "x".repeat(200_000) + "\"}";
        ApiBypassTest.Reply r = raw("PUT", "/api/v1/sites/" + site + "/overrides", OPERATOR, "application/json", big);
        assertEquals(413, r.status(), r.body());
        assertTrue(r.body().contains("gk8s.desired.max-bytes"), r.body());
        String huge = "{\"blob\":\"" + "x".repeat(4_900_000) + "\"}";
        assertEquals(413, raw("PUT", "/api/v1/sites/" + site + "/overrides", OPERATOR, "application/json", huge)
                .status());
        assertEquals(generation, ApiBypassTest.generation(site));
        assertEquals(200, raw("PUT", "/api/v1/sites/" + site + "/overrides", OPERATOR, "application/json",
                "{\"vip\":{\"address\":\"10.1.2.10\"}}").status(), "a normal change still goes through");
    }

    @Test
    void controlCharactersAndOverlongParametersAreRefusedNamingTheField() throws Exception {
        ApiBypassTest.Reply id = raw("GET", "/api/v1/sites/a%00b", OPERATOR, null, null);
        assertEquals(400, id.status(), id.body());
        assertTrue(id.body().contains("path parameter 'id'"), id.body());
        ApiBypassTest.Reply label = raw("GET", "/api/v1/sites?label=a%3Db%00", OPERATOR, null, null);
        assertEquals(400, label.status(), label.body());
        assertTrue(label.body().contains("query parameter 'label'"), label.body());
        ApiBypassTest.Reply status = raw("GET", "/api/v1/sites?status=" + "h".repeat(300), OPERATOR, null, null);
        assertEquals(400, status.status(), status.body());
        assertEquals(400, raw("GET", "/api/v1/templates/a%00/revisions", OPERATOR, null, null).status());
        assertEquals(400, raw("GET", "/api/v1/rollouts?phase=%01", OPERATOR, null, null).status());
    }

    @Test
    void aNulInsideAJsonBodyIsABadRequest() throws Exception {
        String site = ApiBypassTest.boundSite();
        ApiBypassTest.Reply r = raw("PUT", "/api/v1/sites/" + site + "/overrides", OPERATOR, "application/json",
                "{\"note\":\"a\\u0000b\"}");
        assertEquals(400, r.status(), r.body());
        ApiBypassTest.Reply malformed = raw("PUT", "/api/v1/sites/" + site + "/overrides", OPERATOR,
                "application/json", "{\"note\":");
        assertEquals(400, malformed.status(), malformed.body());
        assertTrue(malformed.body().contains("not valid JSON (line 1, column 9)"), malformed.body());
        ApiBypassTest.Reply wrongType = raw("POST", "/api/v1/rollouts", OPERATOR, "application/json",
                "{\"template\": \"t\", \"toRevision\": 2,\n \"selector\": 5}");
        assertEquals(400, wrongType.status(), wrongType.body());
        assertTrue(wrongType.body().contains("field 'selector' has the wrong type (line 2"), wrongType.body());
        // the wrong shape, to an endpoint anyone may call: said plainly, no Java type named
        ApiBypassTest.Reply shape = raw("POST", "/enroll/v1", null, "application/json", "[]");
        assertEquals(400, shape.status(), shape.body());
        assertTrue(shape.body().contains("wrong shape") && !shape.body().contains("io.geminik8s")
                && !shape.body().contains("java."), shape.body());
        assertTrue(wrongType.body().contains("application/problem+json") || wrongType.body().contains("\"status\":400"),
                wrongType.body());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .until(() -> given().get("/q/health/ready").then().extract().statusCode() == 200);
    }
}
