package io.geminik8s.hub.noc;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;

/**
 * Node.js with {@code playwright-core} (npm, installed once into target/noc-browser) driving Debian's Chromium.
 * Without node or /usr/bin/chromium the browser tests are skipped, unless GK8S_REQUIRE_BROWSER is set (.ci/run):
 * then they fail.
 */
final class Browser {

    static final Path DIR = Path.of("target/noc-browser");
    /** Debian's Chromium; {@code -Dnoc.test.chromium} names another (also to see the test skip or fail without it). */
    static final String CHROMIUM = System.getProperty("noc.test.chromium", "/usr/bin/chromium");
    static final String PLAYWRIGHT = "playwright-core@1.57.0";

    private Browser() {
    }

    /** Skips (or, when required, fails) unless node and Chromium are here; installs playwright-core once. */
    static void require() throws Exception {
        String missing = !Files.isExecutable(Path.of(CHROMIUM)) ? CHROMIUM + " (apt-get install chromium)"
                : run(DIR.getParent(), 30, "node", "--version") != 0 ? "node (apt-get install nodejs npm)" : null;
        if (missing == null) {
            Files.createDirectories(DIR);
            if (!Files.exists(DIR.resolve("node_modules/playwright-core/package.json"))) {
                Files.writeString(DIR.resolve("package.json"), "{\"private\": true, \"type\": \"module\"}\n");
                if (run(DIR, 300, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", PLAYWRIGHT) != 0) {
                    missing = "npm package " + PLAYWRIGHT + " (npm install failed: no registry?)";
                }
            }
        }
        if (missing != null) {
            if (System.getenv("GK8S_REQUIRE_BROWSER") != null) {
                fail("GK8S_REQUIRE_BROWSER is set but this is missing: " + missing);
            }
            Assumptions.abort("browser test skipped, missing: " + missing + " (GK8S_REQUIRE_BROWSER=1 makes it fail)");
        }
    }

    private static int run(Path dir, int seconds, String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("setup.log").toFile())).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Runs {@code script} (copied next to node_modules) with {@code env}; each line it prints is echoed, and a line
     * {@code WAIT <what>} calls {@code onWait} with what, then answers {@code GO} on its standard input. Returns
     * the exit code (-1 after {@code seconds}).
     */
    static int script(Path script, Map<String, String> env, int seconds, Consumer<String> onWait) throws Exception {
        Path copy = DIR.resolve(script.getFileName());
        Files.copy(script, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ProcessBuilder pb = new ProcessBuilder("node", copy.getFileName().toString()).directory(DIR.toFile())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("CHROMIUM", CHROMIUM);
        Process p = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)); Writer in = new OutputStreamWriter(p.getOutputStream(),
                    StandardCharsets.UTF_8)) {
                for (String line; (line = out.readLine()) != null; ) {
                    System.out.println("[browser] " + line);
                    if (line.startsWith("WAIT ")) {
                        onWait.accept(line.substring(5));
                        in.write("GO\n");
                        in.flush();
                    }
                }
            } catch (IOException e) {
                System.out.println("[browser] output closed: " + e);
            }
        }, "browser-output");
        reader.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            return -1;
        }
        reader.join(5000);
        return p.exitValue();
    }
}
