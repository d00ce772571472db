package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A claim, its pair and its hardware pins are one transaction: a claim that is not written leaves no pair and no pin.
 * A pin names a valid node id of the pair that applies — the claim's, else the site's stored one. Real PostgreSQL;
 * the failing claim is made to fail there, by a trigger on {@code site_claim} for this test's sites only.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ClaimTransactionTest {

    private static final String UUID_A = "4c4c4544-0051-3510-8052-b7c04f4e3732";
    private static final Map<String, Object> PAIR = Map.of("vip", "10.3.0.10/24",
            "nodes", Map.of("a", "10.3.0.1", "b", "10.3.0.2"));

    @Inject
    Pool pool;

    private long count(String sql, String site) {
        return pool.preparedQuery(sql).execute(Tuple.of(site)).await().atMost(Duration.ofSeconds(10)).iterator().next()
                .getLong(0);
    }

    private void sql(String statement) {
        pool.query(statement).execute().await().atMost(Duration.ofSeconds(10));
    }

    private static Response claim(String site, Map<String, Object> body) {
        return RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .contentType("application/json").body(body).post("/api/v1/sites/" + site + "/claims");
    }

    private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
        var m = new java.util.HashMap<>(base);
        m.put(key, value);
        return m;
    }

    @Test
    void aClaimThatIsNotWrittenLeavesNoPairAndNoPins() {
        String site = "txn-fail-" + UUID.randomUUID().toString().substring(0, 8);
        sql("CREATE OR REPLACE FUNCTION gk8s_test_refuse_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " RAISE EXCEPTION 'claims of % refused by the test', NEW.site_id; END $$");
        sql("CREATE TRIGGER gk8s_test_refuse_claim BEFORE INSERT ON site_claim FOR EACH ROW"
                + " WHEN (NEW.site_id LIKE 'txn-fail-%') EXECUTE FUNCTION gk8s_test_refuse_claim()");
        try {
            Response r = claim(site, with(PAIR, "hardware", Map.of("a", UUID_A)));
            assertEquals(500, r.statusCode(), r.asString());
        } finally {
            sql("DROP TRIGGER gk8s_test_refuse_claim ON site_claim");
            sql("DROP FUNCTION gk8s_test_refuse_claim()");
        }
        assertEquals(0, count("SELECT count(*) FROM site_claim WHERE site_id = $1", site));
        assertEquals(0, count("SELECT count(*) FROM node_hardware WHERE site_id = $1", site), "no pin without its claim");
        assertEquals(0, count("SELECT count(*) FROM site_pair WHERE site_id = $1", site), "no pair without its claim");

        assertEquals(201, claim(site, with(PAIR, "hardware", Map.of("a", UUID_A))).statusCode(), "the same, written");
        assertEquals(1, count("SELECT count(*) FROM node_hardware WHERE site_id = $1", site));
        assertEquals(1, count("SELECT count(*) FROM site_pair WHERE site_id = $1", site));
    }

    @Test
    void aPinNamesAValidNodeOfThePairThatApplies() {
        String site = "txn-" + UUID.randomUUID().toString().substring(0, 8);
        for (String bad : new String[] {"A", "-a", "a_b", "x".repeat(64), ""}) {
            Response r = claim(site, Map.of("hardware", Map.of(bad, UUID_A)));
            assertEquals(400, r.statusCode(), bad + ": " + r.asString());
            assertTrue(r.jsonPath().getString("detail").startsWith("hardware: '"), r.asString());
        }
        Response notInClaimsPair = claim(site, with(PAIR, "hardware", Map.of("c", UUID_A)));
        assertEquals(400, notInClaimsPair.statusCode());
        assertTrue(notInClaimsPair.jsonPath().getString("detail").contains("not one of the pair's nodes"));
        assertEquals(0, count("SELECT count(*) FROM site_claim WHERE site_id = $1", site), "nothing claimed so far");
        assertEquals(0, count("SELECT count(*) FROM site_pair WHERE site_id = $1", site));

        assertEquals(201, claim(site, PAIR).statusCode()); // the site's pair is now stored: a, b
        long claims = count("SELECT count(*) FROM site_claim WHERE site_id = $1", site);
        Response notInStoredPair = claim(site, Map.of("hardware", Map.of("c", UUID_A)));
        assertEquals(400, notInStoredPair.statusCode(), notInStoredPair.asString());
        assertTrue(notInStoredPair.jsonPath().getString("detail").startsWith("hardware: 'c' is not one of the pair's"
                + " nodes (a, b"), notInStoredPair.asString());
        assertEquals(claims, count("SELECT count(*) FROM site_claim WHERE site_id = $1", site), "no claim written");
        assertEquals(0, count("SELECT count(*) FROM node_hardware WHERE site_id = $1", site), "no pin written");

        assertEquals(201, claim(site, Map.of("hardware", Map.of("b", UUID_A))).statusCode(), "b is the pair's");
        assertEquals(1, count("SELECT count(*) FROM node_hardware WHERE site_id = $1 AND node_id = 'b'", site));
        String other = "txn-" + UUID.randomUUID().toString().substring(0, 8); // no pair anywhere: any valid node id
        assertEquals(201, claim(other, Map.of("hardware", Map.of("c", UUID_A))).statusCode());
    }
}
