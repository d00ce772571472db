package io.geminik8s.hub.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every error path of a template, with the message an operator reads: file, line, column, field, what is wrong. */
class TemplateLoaderTest {

    private static final Path EXAMPLES = Path.of("../fleet-templates");

    private static String example() throws Exception {
        return Files.readString(EXAMPLES.resolve("store-standard.yaml"));
    }

    private static List<String> problems(String text) {
        return TemplateLoader.load("t.yaml", text).problems().stream().map(TemplateProblem::toString).toList();
    }

    @Test
    void theShippedExamplesAreValid() throws Exception {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertEquals(3, yaml.size(), "store-standard, store-large, lab");
            for (Path p : yaml) {
                var loaded = TemplateLoader.load(p.getFileName().toString(), Files.readString(p));
                assertTrue(loaded.ok(), p + ": " + loaded.problems());
                assertEquals(p.getFileName().toString().replace(".yaml", ""), loaded.template().metadata().name());
            }
        }
    }

    @Test
    void syntaxAndShapeErrorsNameTheLineAndTheField() throws Exception {
        assertEquals(List.of("t.yaml:1:1: the file is empty"), problems(""));
        assertTrue(problems("spec: [unclosed").get(0).startsWith("t.yaml:1:"), problems("spec: [unclosed").toString());
        assertTrue(problems("spec: [unclosed").get(0).contains("not valid YAML"));
        List<String> dup = problems("kind: a\nkind: b\n");
        assertTrue(dup.get(0).startsWith("t.yaml:2:") && dup.get(0).contains("Duplicate field 'kind'"), dup.toString());
        List<String> unknown = problems(example().replace("    soakMinutes: 30", "    soakMinuts: 30"));
        assertEquals(1, unknown.size(), unknown.toString());
        assertTrue(unknown.get(0).startsWith("t.yaml:36:5: spec.rollout.soakMinuts: unknown field 'soakMinuts' (known: canary,"),
                unknown.get(0));
        List<String> type = problems(example().replace("postgresMajor: 15", "postgresMajor: fifteen"));
        assertTrue(type.get(0).startsWith("t.yaml:16:5: spec.versions.postgresMajor: wrong type:"), type.get(0));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            'apiVersion: gk8s/v1'           | 'apiVersion: gk8s/v2'                 | 't.yaml:2:1: apiVersion: must be gk8s/v1, got gk8s/v2'
            'kind: SiteTemplate'            | 'kind: Site'                          | 't.yaml:3:1: kind: must be SiteTemplate, got Site'
            'name: store-standard'          | 'name: Store_1'                       | 't.yaml:5:3: metadata.name: lowercase letters, digits and ''-'', at most 63: ''Store_1'''
            'k3s: v1.31.4+k3s1'             | 'k3s: 1.31'                           | 't.yaml:14:5: spec.versions.k3s: a K3s release like v1.31.4+k3s1, got 1.31'
            'agent: 0.1.0'                  | 'agent: latest'                       | 't.yaml:15:5: spec.versions.agent: a version like 1.4.2, got latest'
            'postgresMajor: 15'             | 'postgresMajor: 12'                   | 't.yaml:16:5: spec.versions.postgresMajor: a supported PostgreSQL major (14 to 18), got 12'
            'max_connections: "200"'        | 'synchronous_standby_names: "x"'      | 't.yaml:19:7: spec.postgres.settings.synchronous_standby_names: managed by the agent''s HA supervisor; a template must not set it'
            'max_connections: "200"'        | 'Max-Conn: "200"'                     | 't.yaml:19:7: spec.postgres.settings.Max-Conn: not a PostgreSQL parameter name'
            'max_connections: "200"'        | 'max_connections: ""'                 | 't.yaml:19:7: spec.postgres.settings.max_connections: needs a value'
            'device: eth0'                  | 'name: eth0'                          | 't.yaml:23:5: spec.vip.name: unknown field ''name'' (known: device, prefixLength)'
            'prefixLength: 24'              | 'prefixLength: 40'                    | 't.yaml:24:5: spec.vip.prefixLength: between 8 and 32'
            'agentLifetimeDays: 90'         | 'agentLifetimeDays: 400'              | 't.yaml:26:5: spec.certificates.agentLifetimeDays: 1 to 397 days, got 400'
            'renewBeforeDays: 30'           | 'renewBeforeDays: 90'                 | 't.yaml:27:5: spec.certificates.renewBeforeDays: at least 1 and less than agentLifetimeDays (90), got 90'
            'cpuPctMax: 90'                 | 'cpuPctMax: 120'                      | 't.yaml:29:5: spec.health.cpuPctMax: a percentage in (0, 100], got 120.0'
            'replicationLagBytesMax: 16777216' | 'replicationLagBytesMax: -1'        | 't.yaml:31:5: spec.health.replicationLagBytesMax: required, at least 0'
            'canary: "1"'                   | 'canary: "some"'                      | 't.yaml:34:5: spec.rollout.canary: a number of sites ("1") or a share ("2%"), got some'
            'waves: ["1%", "10%", "50%", "100%"]' | 'waves: ["10%", "5%", "100%"]'  | 't.yaml:35:20: spec.rollout.waves[1]: shares must grow and stay within 100%, got 5%'
            'waves: ["1%", "10%", "50%", "100%"]' | 'waves: ["10%", "50%"]'         | 't.yaml:35:5: spec.rollout.waves: the last wave must be 100%'
            'soakMinutes: 30'               | 'soakMinutes: -5'                     | 't.yaml:36:5: spec.rollout.soakMinutes: 0 to 10080 (a week), got -5'
            'maxInFlight: 50'               | 'maxInFlight: 0'                      | 't.yaml:37:5: spec.rollout.maxInFlight: at least 1, got 0'
            'failureThreshold: 0.02'        | 'failureThreshold: 2'                 | 't.yaml:38:5: spec.rollout.failureThreshold: a fraction from 0 to 1, got 2.0'
            'onFailure: pause'              | 'onFailure: panic'                    | 't.yaml:39:5: spec.rollout.onFailure: pause or abort, got panic'
            """)
    void eachRuleHasItsMessageAtItsField(String from, String to, String expected) throws Exception {
        String text = example();
        assertTrue(text.contains(from), from);
        assertEquals(List.of(expected), problems(text.replace(from, to)));
    }

    @Test
    void missingSectionsAreAllReportedAtOnce() {
        List<String> p = problems("apiVersion: gk8s/v1\nkind: SiteTemplate\nmetadata:\n  name: x\nspec:\n  selector: {}\n");
        assertEquals(List.of("t.yaml:6:3: spec.selector: required: the labels that bind sites to this template",
                "t.yaml:5:1: spec.versions: required (k3s, agent, postgresMajor)",
                "t.yaml:5:1: spec.vip.device: required",
                "t.yaml:5:1: spec.certificates: required: agentLifetimeDays and renewBeforeDays",
                "t.yaml:5:1: spec.health: required: what a rollout verifies"), p);
    }

    private static SiteTemplate with(String from, String to) throws Exception {
        var l = TemplateLoader.load("t.yaml", example().replace(from, to));
        assertTrue(l.ok(), l.problems().toString());
        return l.template();
    }

    private static List<String> change(SiteTemplate a, SiteTemplate b) {
        return TemplateRules.checkChange(a, b).stream().map(f -> f.path() + ": " + f.message()).toList();
    }

    @Test
    void versionSkewBetweenRevisions() throws Exception {
        SiteTemplate base = with("x", "x");
        assertEquals(List.of(), change(base, with("v1.31.4+k3s1", "v1.32.0+k3s1")), "one minor up is fine");
        assertEquals(List.of(), change(base, with("v1.31.4+k3s1", "v1.31.5+k3s1")));
        assertEquals(List.of("spec.versions.k3s: from v1.31.4+k3s1 to v1.33.0+k3s1 skips a minor version: Kubernetes "
                + "upgrades one minor at a time"), change(base, with("v1.31.4+k3s1", "v1.33.0+k3s1")));
        assertEquals(List.of("spec.versions.k3s: from v1.31.4+k3s1 to v1.31.3+k3s1 is a downgrade, which K3s does not"
                + " support"), change(base, with("v1.31.4+k3s1", "v1.31.3+k3s1")));
        assertEquals(List.of("spec.versions.postgresMajor: from 15 to 16 needs an explicit migration step: set "
                + "spec.postgres.migration: major-upgrade (a pair cannot stream across majors)"),
                change(base, with("postgresMajor: 15", "postgresMajor: 16")));
        SiteTemplate migrated = with("postgresMajor: 15\n  postgres:\n",
                "postgresMajor: 16\n  postgres:\n    migration: major-upgrade\n");
        assertEquals(List.of(), change(base, migrated), "an explicit migration step allows one major");
        assertEquals(List.of("spec.versions.postgresMajor: from 16 to 15: PostgreSQL cannot go back a major version"),
                change(migrated, base));
        assertEquals(List.of("spec.versions.postgresMajor: from 15 to 17: one major version per revision"),
                change(base, with("postgresMajor: 15\n  postgres:\n",
                        "postgresMajor: 17\n  postgres:\n    migration: major-upgrade\n")));
    }

    @Test
    void artifactsAreCheckedForFormAndForTheTemplatesVersion() throws Exception {
        String sig = java.util.Base64.getEncoder().encodeToString(new byte[64]);
        String sha = "ab".repeat(32);
        String good = example() + "  artifacts:\n    - name: k3s\n      version: v1.31.4+k3s1\n"
                + "      url: https://hub.example/artifacts/k3s-v1.31.4\n      sha256: " + sha + "\n      size: 71000000\n"
                + "      signature: " + sig + "\n";
        var loaded = TemplateLoader.load("t.yaml", good);
        assertTrue(loaded.ok(), loaded.problems().toString());
        assertEquals("v1.31.4+k3s1", loaded.template().spec().artifacts().get(0).version());
        List<String> p = problems(good.replace("version: v1.31.4+k3s1", "version: v1.31.5+k3s1")
                .replace("https://hub", "ftp://hub")); // the first problem of a reference, and the version
        assertEquals(2, p.size(), p.toString());
        assertEquals(List.of("t.yaml:44:7: spec.artifacts[0].sha256: 64 lower-case hex digits"),
                problems(good.replace("sha256: " + sha, "sha256: " + sha.toUpperCase())));
        assertTrue(p.get(0).contains("spec.artifacts[0].url: an http(s) URL"), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.contains("spec.artifacts[0].version: k3s v1.31.5+k3s1 is not the"
                + " template's k3s version v1.31.4+k3s1")), p.toString());
        List<String> twice = problems(good + "    - name: k3s\n      version: v1.31.4+k3s1\n      url: https://m/k3s\n"
                + "      sha256: " + sha + "\n      size: 1\n      signature: " + sig + "\n");
        assertEquals(1, twice.size(), twice.toString());
        assertTrue(twice.get(0).contains("spec.artifacts[1].name: 'k3s' is named twice"), twice.toString());
    }
}
