package io.geminik8s.hub.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A template's {@code spec.backup} (docs/backup.md): checked by the agents' own rules at load, each problem at its
 * line and field; a valid one reaches the desired state as written; archiving settings stay the agent's.
 */
class TemplateBackupTest {

    private static final String BACKUP = """
            backup:
              schedule: {full: 7d, diff: 1d, incr: 1h}
              retention: {full: 2}
              archiveTimeoutSeconds: 60
              repository: {path: /var/lib/gk8s/backup}
            """;

    private static String withBackup(String section) throws Exception {
        String t = Files.readString(Path.of("../fleet-templates/store-standard.yaml"));
        return t.replace("  rollout:\n", section.lines().map(l -> "  " + l + "\n")
                .reduce("", String::concat) + "  rollout:\n");
    }

    private static List<String> problems(String text) {
        return TemplateLoader.load("t.yaml", text).problems().stream().map(TemplateProblem::toString).toList();
    }

    @Test
    void aValidSectionIsKeptAsWritten() throws Exception {
        var loaded = TemplateLoader.load("t.yaml", withBackup(BACKUP));
        assertTrue(loaded.ok(), loaded.problems().toString());
        assertEquals(Map.of("full", "7d", "diff", "1d", "incr", "1h"), ((Map<?, ?>) loaded.template().spec().backup()).get("schedule"));
        assertEquals(null, TemplateLoader.load("t.yaml", withBackup("")).template().spec().backup(), "optional");
    }

    @Test
    void eachProblemIsReportedAtItsField() throws Exception {
        List<String> p = problems(withBackup(BACKUP.replace("full: 7d", "full: weekly").replace("full: 2}", "full: 0}")
                .replace("/var/lib/gk8s/backup", "../etc").replace("archiveTimeoutSeconds", "archiveTimeout")));
        String all = String.join("\n", p);
        assertTrue(all.contains(": spec.backup.schedule.full: an interval like 30m, 6h or 7d, got weekly"), all);
        assertTrue(all.contains(": spec.backup.retention.full: an integer from 1 to 99, got 0"), all);
        assertTrue(all.contains(": spec.backup.repository.path: an absolute path"), all);
        assertTrue(all.contains(": spec.backup.archiveTimeout: unknown field (known: archiveTimeoutSeconds,"), all);
        assertTrue(p.stream().allMatch(x -> x.matches("t\\.yaml:\\d+:\\d+: spec\\.backup\\..*")), all);
        assertEquals(List.of("t.yaml:1:1: spec.backup: must be a map"), problems(withBackup("backup: nightly\n"))
                .stream().map(x -> x.replaceFirst(":\\d+:\\d+:", ":1:1:")).toList());
    }

    @Test
    void archivingIsNotATemplateSetting() throws Exception {
        String t = withBackup(BACKUP).replace("      max_connections: \"200\"\n",
                "      max_connections: \"200\"\n      archive_command: /bin/true\n");
        assertTrue(String.join("\n", problems(t)).contains("archive_command"), problems(t).toString());
    }
}
