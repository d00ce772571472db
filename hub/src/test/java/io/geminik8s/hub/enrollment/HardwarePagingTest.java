package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/enrollments/hardware} is paged like the sites: more than 1,000 recorded identities (the old
 * silent cut) are all reached page by page, each once, in order, with the total. Real PostgreSQL.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class HardwarePagingTest {

    private static final int ROWS = 1_234;

    @Inject
    Pool pool;

    private static JsonPath page(Map<String, Object> query) {
        return RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN)
                .queryParams(query).get("/api/v1/enrollments/hardware").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void everyRecordedIdentityIsReachedPageByPage() {
        String site = "hw-" + UUID.randomUUID().toString().substring(0, 8);
        pool.preparedQuery("INSERT INTO node_hardware (site_id, node_id, hardware_id, pinned, recorded_ms)"
                        + " SELECT $1, 'n' || lpad(i::text, 5, '0'), 'board-' || i, i % 2 = 0, 0"
                        + " FROM generate_series(1, $2) AS i").execute(Tuple.of(site, ROWS))
                .await().atMost(Duration.ofSeconds(30));

        List<String> nodes = new ArrayList<>();
        int pages = 0;
        for (int p = 0; ; p++) {
            JsonPath page = page(Map.of("site", site, "page", p, "size", 500));
            assertEquals(ROWS, page.getLong("total"));
            assertEquals(p, page.getInt("page"));
            assertEquals(500, page.getInt("size"));
            List<String> items = page.getList("items.node", String.class);
            if (items.isEmpty()) {
                break;
            }
            nodes.addAll(items);
            pages++;
        }
        assertEquals(3, pages, "500 + 500 + 234");
        assertEquals(ROWS, nodes.size());
        assertEquals(ROWS, new LinkedHashSet<>(nodes).size(), "each node once");
        assertEquals("n00001", nodes.get(0));
        assertEquals(String.format("n%05d", ROWS), nodes.get(ROWS - 1), "the last, beyond the old 1,000, reached");
        assertEquals(nodes.stream().sorted().toList(), nodes, "ordered by node");

        JsonPath first = page(Map.of("site", site));
        assertEquals(50, first.getList("items").size(), "default size 50, as the sites");
        assertTrue(page(Map.of()).getLong("total") >= ROWS, "without a site: every site's");
        for (String bad : List.of("size=0", "size=501", "page=-1", "size=many")) {
            String name = bad.substring(0, bad.indexOf('='));
            String detail = RestAssured.given().get("/api/v1/enrollments/hardware?" + bad).then().statusCode(400)
                    .extract().path("detail");
            assertTrue(detail.startsWith(name + " must be"), bad + ": " + detail);
        }
    }
}
