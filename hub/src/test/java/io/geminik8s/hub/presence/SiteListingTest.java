package io.geminik8s.hub.presence;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.enrollment.EnrollResource;
import io.geminik8s.hub.pki.Csrs;
import io.geminik8s.hub.rollout.SimSite;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** GET /api/v1/sites: free-text search, sort, status (pending apart), template and revision, versions. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class SiteListingTest {

    static final Duration AWAIT = Duration.ofSeconds(30);
    private final io.geminik8s.hub.rollout.SimFleet sims = new io.geminik8s.hub.rollout.SimFleet();

    @AfterEach
    void stop() {
        sims.close();
    }

    private SimSite sim(String id, Map<String, String> labels, boolean split) {
        return sims.sim(id, labels, split);
    }

    private static String status(String site) {
        return given().get("/api/v1/sites/" + site).then().extract().path("status");
    }

    @Test
    void aSiteEnrolledButNeverSeenIsPendingNotOffline() throws Exception {
        String site = "np" + UUID.randomUUID().toString().substring(0, 6);
        String token = given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                .body(Map.of("site", site, "node", "a", "csr", Csrs.pem("CN=" + site + "/a", Csrs.p256())))
                .post("/enroll/v1").then().statusCode(200);
        given().queryParam("q", site).queryParam("status", "pending").get("/api/v1/sites").then().statusCode(200)
                .body("total", equalTo(1)).body("items[0].nodesTotal", equalTo(0))
                .body("items[0].registration", equalTo("enrolled"));
        given().queryParam("q", site).queryParam("status", "offline").get("/api/v1/sites").then()
                .body("total", equalTo(0));
    }

    @Test
    void theListingFiltersSortsAndSearches() {
        IngestProbe.awaitIngestReady();
        String p = "nq" + UUID.randomUUID().toString().substring(0, 6);
        SimSite a = sim(p + "-a", Map.of("region", "eu-west", "kind", "kiosk"), false);
        SimSite b = sim(p + "-b", Map.of("region", "eu-north"), true);
        await().atMost(AWAIT).until(() -> "healthy".equals(status(a.id)) && "split".equals(status(b.id)));
        given().queryParam("q", p.toUpperCase()).queryParam("sort", "-id").get("/api/v1/sites").then().statusCode(200)
                .body("total", equalTo(2)).body("items[0].id", equalTo(b.id)).body("items[1].id", equalTo(a.id));
        given().queryParam("q", "kiosk").queryParam("label", "region=eu-west").get("/api/v1/sites").then()
                .body("items.id", hasItem(a.id)).body("items.labels.kind", everyItem(equalTo("kiosk")));
        given().queryParam("q", p).queryParam("sort", "status").get("/api/v1/sites").then()
                .body("items[0].id", equalTo(b.id)); // worst first
        given().queryParam("q", p).queryParam("status", "split").get("/api/v1/sites").then()
                .body("total", equalTo(1)).body("items[0].id", equalTo(b.id));
        given().queryParam("q", p).queryParam("version", "k3s=v1.31.4+k3s1").get("/api/v1/sites").then()
                .body("total", equalTo(2));
        given().queryParam("q", p).queryParam("version", "k3s=v0.0.1").get("/api/v1/sites").then()
                .body("total", equalTo(0));
        given().queryParam("template", "store-standard").queryParam("revision", "1").get("/api/v1/sites").then()
                .statusCode(200).body("items.template", everyItem(equalTo("store-standard")));
        given().queryParam("q", "100%_\\").get("/api/v1/sites").then().statusCode(200).body("total", equalTo(0));
        given().queryParam("sort", "labels").get("/api/v1/sites").then().statusCode(400)
                .body("detail", startsWith("sort must be one of [id, status, updatedAt, firstSeen, template]"));
        given().queryParam("version", "k3s").get("/api/v1/sites").then().statusCode(400)
                .body("detail", equalTo("version must be key=value, got 'k3s'"));
        given().queryParam("revision", "x").get("/api/v1/sites").then().statusCode(400);

    }
}
