package io.geminik8s.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Named contexts in the config file, as kubectl has them: set, list, switch, pick per call, and bad names. */
class ConfigContextsTest {

    record Run(int code, String out, String err) {
    }

    private static Run gk8s(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Gk8s.run(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void contextsAreSetListedSwitchedAndPickedPerCall(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("gk8s/config.yaml");
        Path demoToken = Files.writeString(dir.resolve("demo-token"), "demo-secret\n");
        Path prodToken = Files.writeString(dir.resolve("prod-token"), "prod-secret");
        Map<String, String> env = Map.of("GK8S_CONFIG", cfg.toString());

        Run set = gk8s(env, "config", "set-context", "demo", "--hub", "http://127.0.0.1:9", "--token-file",
                demoToken.toString());
        assertEquals(0, set.code(), set.err());
        assertTrue(set.out().contains("(current)"), "the first context becomes the current one: " + set.out());
        assertEquals(0, gk8s(env, "config", "set-context", "prod", "--hub", "http://127.0.0.1:10",
                "--token-file", prodToken.toString()).code());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cfg)));
        assertTrue(!Files.readString(cfg).contains("secret"), "the file names token files, it does not copy tokens");

        Run list = gk8s(env, "config", "get-contexts", "-o", "json");
        JsonNode rows = new ObjectMapper().readTree(list.out());
        assertEquals(2, rows.size(), list.out());
        assertEquals("*", rows.get(0).get("current").asText());
        assertEquals("demo", rows.get(0).get("name").asText());
        assertTrue(gk8s(env, "config", "get-contexts").out().lines().anyMatch(l -> l.startsWith("*") && l.contains("demo")));

        CliConfig demo = CliConfig.resolve(null, null, null, null, env);
        assertEquals("http://127.0.0.1:9", demo.hub());
        assertEquals("demo-secret", demo.token());
        CliConfig prod = CliConfig.resolve(null, null, null, "prod", env);
        assertEquals("http://127.0.0.1:10", prod.hub());
        assertEquals("prod-secret", prod.token());
        assertEquals("prod", CliConfig.resolve(null, null, null, null,
                Map.of("GK8S_CONFIG", cfg.toString(), "GK8S_CONTEXT", "prod")).context());
        assertEquals("http://127.0.0.1:11", CliConfig.resolve("http://127.0.0.1:11", null, null, null, env).hub(),
                "a flag wins over the context");

        // a command goes to the current context's hub (nothing listens on port 9: the error names it)
        Run get = gk8s(env, "get", "sites");
        assertEquals(1, get.code());
        assertTrue(get.err().contains("127.0.0.1:9"), get.err());

        assertEquals(0, gk8s(env, "config", "use-context", "prod").code());
        assertEquals("prod\n", gk8s(env, "config", "current-context").out());
        Run unknown = gk8s(env, "config", "use-context", "staging");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("no context 'staging'") && unknown.err().contains("[demo, prod]"),
                unknown.err());
        Run badFlag = gk8s(env, "--context", "staging", "get", "sites");
        assertEquals(1, badFlag.code());
        assertTrue(badFlag.err().contains("no context 'staging'"), badFlag.err());
        Run empty = gk8s(env, "config", "set-context", "x");
        assertEquals(1, empty.code());
        assertTrue(empty.err().contains("--hub"), empty.err());
    }

    @Test
    void aConfigWithoutContextsStillWorks(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("config.yaml"), "hub: http://127.0.0.1:12\ntoken: t0\n");
        CliConfig c = CliConfig.resolve(null, null, null, null, Map.of("GK8S_CONFIG", cfg.toString()));
        assertEquals("http://127.0.0.1:12", c.hub());
        assertEquals("t0", c.token());
        Path broken = Files.writeString(dir.resolve("broken.yaml"), "hub: [\n");
        Run r = gk8s(Map.of("GK8S_CONFIG", broken.toString()), "get", "sites");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not valid YAML"), r.err());
    }
}
