package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.Csrs;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A node whose certificate is about to expire shows in the expiry gauges; renewed or revoked, it does not. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ExpiryGaugesTest {

    @Inject
    ExpiryGauges gauges;
    @Inject
    Pool pool;

    private double metric(String name) {
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        return RestAssured.given().get("/q/metrics").then().extract().asString().lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElseThrow();
    }

    @Test
    void aCertificateAboutToExpireIsCountedUntilRevoked() throws Exception {
        double before = metric("gk8s_certificates_expiring");
        String site = "ex-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        String serial = RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                .body(Map.of("site", site, "node", "a", "csr", Csrs.pem("CN=" + site + "/a", Csrs.p256())))
                .post("/enroll/v1").then().statusCode(200).extract().path("serial");
        assertEquals(before, metric("gk8s_certificates_expiring"), "30 days left: not expiring");
        pool.preparedQuery("UPDATE enrollment SET not_after_ms = $1 WHERE serial = $2")
                .execute(Tuple.of(System.currentTimeMillis() + Duration.ofDays(2).toMillis(), serial))
                .await().atMost(Duration.ofSeconds(10));
        assertEquals(before + 1, metric("gk8s_certificates_expiring"), "2 days left");
        double next = metric("gk8s_certificates_next_expiry_seconds");
        assertTrue(next > 0 && next <= Duration.ofDays(2).toSeconds(), "next expiry " + next);
        RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/enrollments/" + serial + "/revoke").then().statusCode(200);
        assertEquals(before, metric("gk8s_certificates_expiring"), "revoked: no longer counted");
    }
}
