package io.geminik8s.agent.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

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
        String path = System.getProperty("gk8s.node-jar");
        assertNotNull(path, "gk8s.node-jar is set by the surefire execution node-jar");
        return Path.of(path);
    }

    @Test
    void bouncyCastleComesFromTheNodeJar() throws URISyntaxException {
        for (Class<?> c : List.of(X500Name.class, JcaPKCS10CertificationRequestBuilder.class)) {
            Path from = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertEquals(nodeJar().toAbsolutePath(), from.toAbsolutePath(), c.getName());
        }
    }

    @Test
    void itIsSmallUnsignedAndRunsAlone() throws IOException, InterruptedException {
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
        Process p = new ProcessBuilder(java.toString(), "-jar", nodeJar().toString(), "--version")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "--version did not end");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.startsWith("gk8s edge-agent "), out);
    }
}
