package io.geminik8s.agent.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.agent.upgrade.AgentReleases;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar a node runs (target/node/edge-agent.jar, made by the shade plugin; edge-agent/pom.xml). Runs in the
 * surefire execution {@code node-jar}, after the jar is made, beside the tests of the agent's Bouncy Castle paths
 * (certificate requests, PostgreSQL's and the peer repository's certificates), with Bouncy Castle's own jars off the
 * class path: this test fails if they were there, so those tests ran against the minimized jar.
 */
@Tag("node-jar")
class NodeJarTest {

    /** The heap the JDK keeps for the jar's central directory; the three Bouncy Castle jars alone were 884 KB. */
    private static final long MAX_CENTRAL_DIRECTORY = 512 * 1024;

    private static Path nodeJar() {
        return Path.of(property("gk8s.node-jar"));
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        assertNotNull(value, name + " is set by the surefire execution node-jar");
        return value;
    }

    private static Set<String> classes(Path jar) throws IOException {
        try (JarFile f = new JarFile(jar.toFile())) {
            return f.stream().map(ZipEntry::getName)
                    .filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/") && !n.endsWith("module-info.class"))
                    .collect(Collectors.toSet());
        }
    }

    /** Only Bouncy Castle is cut: a dependency added later is kept whole, or this names what it lost. */
    @Test
    void everyOtherDependencyIsWhole() throws IOException {
        Set<String> inJar = classes(nodeJar());
        List<String> checked = new ArrayList<>();
        try (Stream<Path> libs = Files.list(Path.of(property("gk8s.runtime-lib")))) {
            for (Path lib : libs.sorted().toList()) {
                String name = lib.getFileName().toString();
                if (name.startsWith("bcprov-") || name.startsWith("bcpkix-") || name.startsWith("bcutil-")) {
                    continue;
                }
                List<String> missing = classes(lib).stream().filter(c -> !inJar.contains(c)).sorted().limit(5).toList();
                assertEquals(List.of(), missing, name + " lost classes in the node jar");
                checked.add(name);
            }
        }
        assertTrue(checked.stream().anyMatch(n -> n.startsWith("postgresql-")), checked.toString());
    }

    /** Its provider is in the jar only as a shell (the classes it loads by name were cut): the agent must not use it. */
    @Test
    void theAgentNeverReachesBouncyCastlesProvider() throws IOException {
        List<String> users = new ArrayList<>();
        try (JarFile jar = new JarFile(nodeJar().toFile())) {
            for (ZipEntry e : jar.stream().filter(e -> e.getName().startsWith("io/geminik8s/")).toList()) {
                String bytes = new String(jar.getInputStream(e).readAllBytes(), StandardCharsets.ISO_8859_1);
                if (bytes.contains("org/bouncycastle/jce/provider/BouncyCastleProvider")
                        || bytes.contains("org/bouncycastle/jcajce/util/BCJcaJceHelper")) {
                    users.add(e.getName());
                }
            }
        }
        assertEquals(List.of(), users);
    }

    /** The release bundle an agent updates itself from (the node jar alone) is one the agent accepts. */
    @Test
    void theReleaseBundleIsStaged(@TempDir Path state) throws IOException {
        String version;
        try (JarFile jar = new JarFile(nodeJar().toFile())) {
            version = jar.getManifest().getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
        }
        new AgentReleases(state, "0.0.1", () -> { }).stage(Path.of(property("gk8s.bundle")), version);
        Path staged = state.resolve("agent").resolve(version).resolve("edge-agent.jar");
        assertEquals(-1L, Files.mismatch(nodeJar(), staged), "the staged jar differs from the node jar");
    }

    @Test
    void bouncyCastleComesFromTheNodeJar() throws URISyntaxException {
        for (Class<?> c : List.of(X500Name.class, JcaPKCS10CertificationRequestBuilder.class)) {
            Path from = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertEquals(nodeJar().toAbsolutePath(), from.toAbsolutePath(), c.getName());
        }
    }

    @Test
    void itIsSmallUnsignedAndRunsAlone() throws IOException {
        try (JarFile jar = new JarFile(nodeJar().toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("io.geminik8s.agent.Main", main.getValue(Attributes.Name.MAIN_CLASS));
            assertNull(main.getValue(Attributes.Name.CLASS_PATH), "the node jar needs no lib/");
            assertNotNull(main.getValue(Attributes.Name.IMPLEMENTATION_VERSION), "the version an update checks");
            long directory = 0;
            for (ZipEntry e : jar.stream().toList()) {
                String name = e.getName();
                assertTrue(!name.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)"), "a signature of a jar it was made of: " + name);
                directory += 46 + name.getBytes(StandardCharsets.UTF_8).length
                        + (e.getExtra() == null ? 0 : e.getExtra().length);
            }
            // Bouncy Castle's provider there would be found by the JDK's provider lookup and loaded (749 classes)
            assertNull(jar.getEntry("META-INF/services/java.security.Provider"));
            assertTrue(directory < MAX_CENTRAL_DIRECTORY, "central directory " + directory + " bytes");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String out = new ProcessRunner().run(Duration.ofSeconds(60),
                List.of(java.toString(), "-jar", nodeJar().toString(), "--version")).orThrow().stdout();
        assertTrue(out.startsWith("gk8s edge-agent "), out);
    }
}
