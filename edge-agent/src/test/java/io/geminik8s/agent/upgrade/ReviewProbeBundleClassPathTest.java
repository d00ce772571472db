package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review probe (attacker review of the agent's release bundle, 78d1970). FAILS on the code as reviewed.
 *
 * <p>FINDING (low): the bundle check confines the zip's entries to {@code edge-agent.jar} and {@code lib/*.jar}, but
 * not what the jar loads: its manifest's {@code Class-Path} may name jars outside the release folder (absolute
 * paths, {@code ../}), which the JVM loads at start. A bundle built with a stale or wrong Class-Path (e.g. pointing
 * into the previous release's {@code ../1.0.0/lib/}) passes every check, its trial even succeeds while that folder is
 * there, and it breaks once it is gone. AgentReleases.implementationVersion reads the manifest but checks only
 * Main-Class and Implementation-Version.
 */
class ReviewProbeBundleClassPathTest {

    @TempDir
    Path dir;

    @Test
    void aJarWhoseClassPathLeavesItsReleaseFolderIsRefused() throws Exception {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "io.geminik8s.agent.Main");
        m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "2.0.0");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, "../1.0.0/lib/jackson-core-2.17.2.jar /tmp/evil.jar");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(b, m)) {
            j.putNextEntry(new ZipEntry("io/geminik8s/agent/README"));
            j.write(1);
        }
        Path bundle = dir.resolve("b.zip");
        Files.write(bundle, AgentSelfUpdateTest.zip(Map.of("edge-agent.jar", b.toByteArray())));
        AgentReleases a = new AgentReleases(dir.resolve("state"), "1.0.0", () -> { });
        assertThrows(IllegalStateException.class, () -> a.stage(bundle, "2.0.0"),
                "a Class-Path outside the release folder is staged");
    }
}
