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
        assertTrue(all.contains(": spec.backup.schedule.full: an interval like 30m, 6h or 7d, or {cron: \"0 2 * * 0\"}, got weekly"), all);
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

    @Test
    void cronSchedulesAndTheRestoreTestAreCheckedAtTheirLines() throws Exception {
        String cron = """
                backup:
                  schedule:
                    full: {cron: "0 2 * * 0"}
                    diff: {cron: "0 1 * * *"}
                    incr: 1h
                  timeZone: Europe/Berlin
                  restoreTest: {cron: "0 4 * * 6"}
                  retention: {full: 2}
                  repository: {path: /var/lib/gk8s/backup}
                """;
        var loaded = TemplateLoader.load("t.yaml", withBackup(cron));
        assertTrue(loaded.ok(), loaded.problems().toString());
        for (String[] bad : new String[][] {
                {"\"0 2 * * 0\"}\n    diff", "\"@yearly\"}\n    diff", "spec.backup.schedule.full.cron: macros like @yearly"},
                {"\"0 2 * * 0\"}\n    diff", "\"0 0 2 * * 0\"}\n    diff", "spec.backup.schedule.full.cron: five fields"},
                {"\"0 2 * * 0\"}\n    diff", "\"\"}\n    diff", "spec.backup.schedule.full.cron: empty"},
                {"\"0 2 * * 0\"}\n    diff", "\"ｃｒｏｎ 0 2 * * 0\"}\n    diff", "spec.backup.schedule.full.cron: only ASCII"},
                {"\"0 2 * * 0\"}\n    diff", "\"" + "0 ".repeat(5000) + "\"}\n    diff", "spec.backup.schedule.full.cron: at most 100"},
                {"\"0 2 * * 0\"}\n    diff", "[0, 2]}\n    diff", "spec.backup.schedule.full.cron: a five-field cron expression in quotes"},
                {"Europe/Berlin", "Moon/Tranquility", "spec.backup.timeZone: an IANA time zone"},
                {"{cron: \"0 4 * * 6\"}", "{cron: \"0 4 31 2 *\"}", "spec.backup.restoreTest.cron: never fires"},
                {"{cron: \"0 4 * * 6\"}", "2m", "spec.backup.restoreTest: at least 5m"}}) {
            String text = withBackup(cron.replace(bad[0], bad[1]));
            List<String> p = problems(text);
            assertEquals(1, p.size(), p.toString());
            assertTrue(p.get(0).matches("t\\.yaml:\\d+:\\d+: " + java.util.regex.Pattern.quote(bad[2]) + ".*"), p.get(0));
            int line = Integer.parseInt(p.get(0).split(":")[1]);
            String path = bad[2].substring(0, bad[2].indexOf(':'));
            String field = path.substring(path.lastIndexOf('.') + 1);
            assertTrue(text.lines().toList().get(line - 1).contains(field), "line " + line + " names " + field + ": " + p);
        }
    }
}
