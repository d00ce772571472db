package io.geminik8s.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent's JVM flags have one source, the package's launcher (the default of {@code GK8S_AGENT_JAVA_OPTS});
 * the benchmark's default and the copies in the docs, the README and the floor program must say the same.
 */
class AgentFlagsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String FIRST = "-XX:+UseSerialGC -Xmx32m -Xms4m ";

    static String launcherFlags() throws IOException {
        String launcher = Files.readString(ROOT.resolve("edge-agent/src/deb/gk8s-agent"));
        Matcher m = Pattern.compile(": \"\\$\\{GK8S_AGENT_JAVA_OPTS:=([^}]*)}\"").matcher(launcher);
        assertTrue(m.find(), "the launcher's default of GK8S_AGENT_JAVA_OPTS");
        return m.group(1);
    }

    @Test
    void theBenchmarkRunsTheAgentWithTheLaunchersFlags() throws IOException {
        assertEquals(launcherFlags(), Main.AGENT_JVM);
    }

    /** A second copy in the unit would override the launcher's default and drift from it unseen. */
    @Test
    void theUnitLeavesTheFlagsToTheLauncher() throws IOException {
        String unit = Files.readString(ROOT.resolve("edge-agent/src/deb/gk8s-agent.service"));
        assertTrue(unit.lines().noneMatch(l -> l.startsWith("Environment") && l.contains("GK8S_AGENT_JAVA_OPTS")), unit);
    }

    @Test
    void everyCopyInTheDocsIsTheLaunchersFlags() throws IOException {
        String flags = launcherFlags();
        assertTrue(flags.startsWith(FIRST), flags);
        for (String file : List.of("README.md", "docs/operations.md", "load-tests/floor/floor.sh",
                "load-tests/reports/agent-footprint-findings.md")) {
            // line continuations, line breaks and Markdown's code quotes are layout, not flags
            String text = Files.readString(ROOT.resolve(file)).replace("\\\n", " ").replace("`", "")
                    .replaceAll("\\s+", " ");
            int copies = 0;
            for (int at = text.indexOf(FIRST); at >= 0; at = text.indexOf(FIRST, at + 1), copies++) {
                String copy = text.substring(at, Math.min(text.length(), at + flags.length()));
                assertEquals(flags, copy, file + ", copy " + (copies + 1));
                String after = text.substring(at + flags.length());
                String next = after.substring(0, Math.min(60, after.length()));
                assertTrue(after.isEmpty() || !Character.isLetterOrDigit(after.charAt(0))
                                && "=_:+-.".indexOf(after.charAt(0)) < 0,
                        file + ", copy " + (copies + 1) + " ends inside a flag: " + next);
                after = after.replaceFirst("^[\"']", "");
                assertTrue(!after.startsWith(" -") || after.startsWith(" -XX:SharedArchiveFile=")
                        || after.startsWith(" -XX:ArchiveClassesAtExit=") || after.startsWith(" -jar "),
                        file + ", copy " + (copies + 1) + " goes on with more flags: " + next);
            }
            assertTrue(copies > 0, file + " has no copy of the flags");
        }
    }
}
