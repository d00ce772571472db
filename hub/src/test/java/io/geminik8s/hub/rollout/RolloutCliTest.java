package io.geminik8s.hub.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.cli.Gk8s;
import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code gk8s} CLI against the running test hub: an operator's session, as in docs/rollouts.md. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RolloutCliTest {

    @TestHTTPResource("/")
    URL hub;

    @TempDir
    Path dir;

    private final RolloutTest helper = new RolloutTest();

    record Run(int code, String out, String err) {
    }

    @AfterEach
    void stop() {
        helper.stopSims();
    }

    Run gk8s(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> isolated = new java.util.HashMap<>(env); // never the user's ~/.config/gk8s/config.yaml
        isolated.putIfAbsent("GK8S_CONFIG", "target/no-gk8s-config.yaml");
        int code = Gk8s.run(isolated, new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void getWatchPrintsASiteAgainWhenItGoesOffline() throws Exception {
        String t = RolloutTest.template();
        List<SimSite> fleet = helper.fleet(t, 2);
        Map<String, String> env = Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", HubInfrastructure.VIEWER_TOKEN);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var watching = java.util.concurrent.CompletableFuture.supplyAsync(() -> Gk8s.run(env, new PrintWriter(out),
                new PrintWriter(err), "get", "sites", "-l", "site-kind=" + t, "-w", "--watch-for", "PT20S",
                "--interval-ms", "200", "-o", "json"));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> out.toString().contains(fleet.get(1).id));
        fleet.get(0).offline();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).until(() -> out.toString().lines()
                .anyMatch(l -> l.startsWith("{") && l.contains("\"" + fleet.get(0).id + "\"")
                        && l.contains("\"offline\"")));
        assertEquals(0, watching.get(30, java.util.concurrent.TimeUnit.SECONDS), err.toString());
        // the list first (one JSON array), then one line per change; the site that stayed online is not repeated
        assertTrue(out.toString().startsWith("["), out.toString());
        assertTrue(out.toString().lines().noneMatch(l -> l.startsWith("{") && l.contains(fleet.get(1).id)),
                out.toString());
    }

    @Test
    void anOperatorRollsOutAndWatchesFromTheCommandLine() throws Exception {
        String t = RolloutTest.template();
        helper.fleet(t, 3);
        RolloutTest.revision2(t);
        Path config = dir.resolve("config.yaml");
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, HubInfrastructure.OPERATOR_TOKEN + "\n");
        Files.writeString(config, "hub: " + hub + "\ntokenFile: " + tokenFile + "\n");
        Map<String, String> env = Map.of("GK8S_CONFIG", config.toString());

        Run templates = gk8s(env, "get", "templates", "-o", "json");
        assertEquals(0, templates.code(), templates.err());
        JsonNode list = new ObjectMapper().readTree(templates.out());
        assertTrue(list.findValuesAsText("name").contains(t), templates.out());

        Run created = gk8s(env, "rollout", "create", "--template", t, "--to-revision", "2", "--canary", "1",
                "--waves", "100%", "--soak", "PT1S", "-l", "site-kind=" + t);
        assertEquals(0, created.code(), created.err());
        assertTrue(created.out().startsWith("ID"), created.out());
        String id = created.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];

        Run watch = gk8s(env, "rollout", "status", id, "-w", "--interval-ms", "200");
        assertEquals(0, watch.code(), watch.err());
        List<String> lines = watch.out().lines().toList();
        assertTrue(lines.get(lines.size() - 1).contains("[####################] 100%  succeeded"), watch.out());
        assertTrue(lines.get(lines.size() - 1).contains("succeeded 3"), watch.out());

        Run json = gk8s(env, "rollout", "status", id, "-o", "json");
        assertEquals(0, json.code(), json.err());
        var parsed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertEquals("succeeded", parsed.path("phase").asText(), json.out());
        assertEquals(3, parsed.path("counts").path("succeeded").asInt(), json.out());
        Run yaml = gk8s(env, "rollout", "status", id, "-o", "yaml");
        assertTrue(yaml.out().startsWith("---") && yaml.out().contains("phase:"), yaml.out());

        Run sites = gk8s(env, "rollout", "sites", id, "--state", "succeeded");
        assertEquals(4, sites.out().lines().count(), sites.out());
        Run described = gk8s(env, "describe", "rollout", id, "-o", "yaml");
        assertTrue(described.out().contains("phase: \"succeeded\"") || described.out().contains("phase: succeeded"),
                described.out());
        assertTrue(described.out().contains("action: \"create\"") || described.out().contains("action: create"));
        Run table = gk8s(env, "get", "rollouts");
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains("succeeded")),
                table.out());
        assertTrue(lines.get(lines.size() - 1).contains("wave 1 of 0-1"), "waves from 0, as in the table: "
                + watch.out());

        String site = new ObjectMapper().readTree(gk8s(env, "rollout", "sites", id, "-o", "json").out())
                .get(0).get("site").asText();
        Run site1 = gk8s(env, "describe", "site", site, "-o", "json");
        assertEquals(0, site1.code(), site1.err());
        JsonNode desired = new ObjectMapper().readTree(site1.out()).path("desired");
        assertEquals(t, desired.path("template").asText(), "describe site shows its desired state: " + site1.out());
        assertEquals(2, desired.path("revision").asInt(), site1.out());
    }

    @Test
    void errorsSayWhatTheHubSaidAndAViewerCannotSteer() throws Exception {
        Map<String, String> viewer = Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", HubInfrastructure.VIEWER_TOKEN);
        Run denied = gk8s(viewer, "rollout", "abort", "1", "--reason", "test");
        assertEquals(1, denied.code());
        assertTrue(denied.err().contains("403"), denied.err());
        Run missing = gk8s(viewer, "describe", "rollout", "987654");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("404") && missing.err().contains("no rollout 987654"), missing.err());
        Run noToken = gk8s(Map.of("GK8S_HUB", hub.toString()), "get", "sites");
        assertEquals(1, noToken.code());
        assertTrue(noToken.err().contains("401") && noToken.err().contains("no token was given")
                && noToken.err().contains("--token-file"), noToken.err());
        Run wrongToken = gk8s(Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", "not-a-token"), "get", "sites");
        assertTrue(wrongToken.err().contains("the token was refused"), wrongToken.err());
        Run noHub = gk8s(Map.of("GK8S_HUB", "http://127.0.0.1:1"), "get", "sites");
        assertEquals(1, noHub.code());
        assertTrue(noHub.err().contains("cannot reach the hub"), noHub.err());
        Run badConfig = gk8s(Map.of(), "--config", dir.resolve("absent.yaml").toString(), "get", "sites");
        assertTrue(badConfig.err().contains("does not exist"), badConfig.err());
        Run usage = gk8s(viewer, "get", "planets");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("sites, templates, rollouts") || usage.err().contains("planets"),
                usage.err());
        Run completion = gk8s(viewer, "generate-completion");
        assertEquals(0, completion.code(), completion.err());
        assertTrue(completion.out().contains("complete -F") && completion.out().contains("rollout"));
    }

    @Test
    void aCertificateRotationIsCreatedByKindAndOnlyByAnAdmin() {
        String selector = "rotation=none-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> operator = Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", HubInfrastructure.OPERATOR_TOKEN);
        Run denied = gk8s(operator, "rollout", "create", "--kind", "certificate-rotation", "-l", selector);
        assertEquals(1, denied.code(), denied.out());
        assertTrue(denied.err().contains("403") && denied.err().contains("needs the admin role"), denied.err());
        Map<String, String> admin = Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", HubInfrastructure.ADMIN_TOKEN);
        Run none = gk8s(admin, "rollout", "create", "--kind", "certificate-rotation", "-l", selector);
        assertEquals(1, none.code(), none.out());
        assertTrue(none.err().contains("no site with an enrolled node matches"), none.err());
        Run mixed = gk8s(admin, "rollout", "create", "--kind", "certificate-rotation", "--template", "x");
        assertTrue(mixed.err().contains("takes no template and no toRevision"), mixed.err());
        Run missing = gk8s(operator, "rollout", "create", "--template", "x");
        assertTrue(missing.err().contains("missing toRevision"), missing.err());
    }
}
