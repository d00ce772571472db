package io.geminik8s.hub.ops;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.WitnessRequest;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Grafana dashboard (ops/grafana): every query is valid PromQL (promtool checks it as a recording rule),
 * every panel has a unique id, a title and a query on the dashboard's data source variable, and every metric it reads
 * is one this hub exports — a panel on a misspelt metric would stay empty.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class DashboardTest {

    private static final Path DASHBOARD = Path.of("../ops/grafana/gk8s-fleet.json");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    private static List<JsonNode> panels() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper().readTree(DASHBOARD.toFile()).get("panels").forEach(out::add);
        return out;
    }

    private static List<String> queries() throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode p : panels()) {
            p.path("targets").forEach(t -> out.add(t.get("expr").asText()));
        }
        return out;
    }

    @Test
    void everyPanelHasAnIdATitleAndAQueryOnTheDataSourceVariable() throws Exception {
        Set<Integer> ids = new HashSet<>();
        int queried = 0;
        for (JsonNode p : panels()) {
            assertTrue(ids.add(p.get("id").asInt()), "duplicate panel id " + p.get("id"));
            assertFalse(p.path("title").asText().isBlank(), "a panel without a title: " + p);
            if (!"row".equals(p.get("type").asText())) {
                assertEquals("${datasource}", p.at("/datasource/uid").asText(), p.get("title").asText());
                assertTrue(p.path("targets").size() > 0, "no query: " + p.get("title").asText());
                queried++;
            }
        }
        assertEquals(15, queried, "panels with queries");
    }

    @Test
    void everyQueryIsValidPromQl(@TempDir Path dir) throws Exception {
        if (!Files.isExecutable(PROMTOOL) && "1".equals(System.getenv("GK8S_REQUIRE_PROMTOOL"))) {
            throw new IllegalStateException(PROMTOOL + " is missing (apt-get install prometheus)");
        }
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool is not installed: the queries were not checked");
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<String> queries = queries();
        for (int i = 0; i < queries.size(); i++) {
            rules.append("      - record: dashboard:query_").append(i).append('\n')
                    .append("        expr: '").append(queries.get(i).replace("'", "''")).append("'\n");
        }
        Path file = dir.resolve("dashboard-queries.yml");
        Files.writeString(file, rules);
        Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "rules", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, p.exitValue(), "promtool check rules on the dashboard's queries:\n" + out);
        assertTrue(out.contains("SUCCESS: " + queries.size() + " rules found"), out);
    }

    @Test
    void everyMetricThePanelsReadIsExported() throws Exception {
        IngestProbe.awaitIngestReady();
        Set<String> used = new TreeSet<>();
        for (String q : queries()) {
            Matcher m = Pattern.compile("\\bgk8s_[a-z_]+").matcher(q);
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertEquals(17, used.size(), "metrics read by the dashboard: " + used);
        // metrics registered on first use: one witness decision, one refused enrollment, one refused API call
        try (MqttPublisher mqtt = new MqttPublisher()) {
            mqtt.publish(new WitnessRequest("1.0", "dash", "dash-" + UUID.randomUUID().toString().substring(0, 8),
                    "a", System.currentTimeMillis(), WitnessRequest.Op.PROMOTE, 1L, null, 0L));
        }
        var http = java.net.http.HttpClient.newHttpClient(); // no test-wide credentials: an anonymous caller
        var none = java.net.http.HttpResponse.BodyHandlers.discarding();
        http.send(java.net.http.HttpRequest.newBuilder(base.toURI().resolve("/enroll/v1"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(), none);
        assertEquals(401, http.send(java.net.http.HttpRequest.newBuilder(base.toURI().resolve("/api/v1/sites")).build(),
                none).statusCode());
        Set<String> missing = new TreeSet<>(used);
        // the embedded broker's metrics exist only where the hub runs its broker (the test profile's broker is
        // started apart); a packaged hub registers them together (SteadyStateSmokeTest reads the refused count from one)
        assertTrue(missing.removeAll(Set.of("gk8s_broker_connections", "gk8s_broker_refused_total")));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            String exported = given().get("/q/metrics").then().statusCode(200).extract().asString();
            missing.removeIf(name -> Pattern.compile("(?m)^" + name + "[{ ]").matcher(exported).find());
            assertEquals(Set.of(), missing, "metrics the dashboard reads that the hub does not export");
        });
    }
}
