package io.geminik8s.hub.ops;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shipped alert rules (ops/prometheus): their own unit tests pass under Debian's {@code promtool} (each alert
 * fires on its failure, not before its {@code for}, and not on a healthy fleet), and every metric they read is one
 * this hub exports — a rule on a misspelt metric would never fire. promtool is required where
 * {@code GK8S_REQUIRE_PROMTOOL=1} ({@code .ci/run} installs {@code prometheus}).
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class AlertRulesTest {

    private static final Path RULES = Path.of("../ops/prometheus");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @Test
    void theRulesUnitTestsPassUnderPromtool() throws Exception {
        if (!Files.isExecutable(PROMTOOL) && "1".equals(System.getenv("GK8S_REQUIRE_PROMTOOL"))) {
            throw new IllegalStateException(PROMTOOL + " is missing (apt-get install prometheus)");
        }
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool is not installed: the rules' unit tests did not run");
        for (String[] args : new String[][] {{"check", "rules", "gk8s-alerts.yml"},
                {"test", "rules", "gk8s-alerts.test.yml"}}) {
            ProcessBuilder pb = new ProcessBuilder(PROMTOOL.toString());
            pb.command().addAll(java.util.List.of(args));
            Process p = pb.directory(RULES.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
            assertEquals(0, p.exitValue(), "promtool " + String.join(" ", args) + ":\n" + out);
        }
    }

    @Test
    void everyMetricTheRulesReadIsExported() throws Exception {
        IngestProbe.awaitIngestReady();
        Set<String> used = new TreeSet<>();
        for (String line : Files.readAllLines(RULES.resolve("gk8s-alerts.yml"))) {
            if (line.trim().startsWith("expr:")) {
                Matcher m = Pattern.compile("\\bgk8s_[a-z_]+").matcher(line);
                while (m.find()) {
                    used.add(m.group());
                }
            }
        }
        assertEquals(9, used.size(), "metrics read by the rules: " + used);
        String exported = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Set<String> missing = new TreeSet<>();
        for (String name : used) {
            if (!Pattern.compile("(?m)^" + name + "[{ ]").matcher(exported).find()) {
                missing.add(name);
            }
        }
        assertEquals(Set.of(), missing, "metrics the alert rules read that the hub does not export");
    }
}
