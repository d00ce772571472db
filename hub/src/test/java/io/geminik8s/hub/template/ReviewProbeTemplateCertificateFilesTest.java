package io.geminik8s.hub.template;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Review probe (attacker review of certificate files in the hub's template rules, 22b5790). FAILS on the code as
 * reviewed.
 *
 * <p>FINDING (low): TemplateRules.certificates splits the validator's message on {@code "; (?=certificates[.:])"}
 * and takes {@code problem.substring(0, problem.indexOf(": "))}. Text the template author controls is echoed in
 * that message (a bad name, an unknown field's key, a certificate's subject), so a name such as
 * {@code "a; certificates.b"} produces a chunk without ": " and a StringIndexOutOfBoundsException: the API answers
 * 500 instead of the 400 naming the field, line and column that docs/upgrades.md promises.
 */
class ReviewProbeTemplateCertificateFilesTest {

    @Test
    void aNameThatLooksLikeAnotherProblemIsReportedNotThrown() throws Exception {
        String ok = TemplateCertificateFilesTest.pem(Instant.now().plus(Duration.ofDays(30)));
        String t = Files.readString(Path.of("../fleet-templates/store-standard.yaml"));
        String files = "    files:\n      - name: \"a; certificates.b\"\n        pem: |\n"
                + ok.lines().map(l -> "          " + l + "\n").reduce("", String::concat);
        String text = t.replace("    renewBeforeDays: 30\n", "    renewBeforeDays: 30\n" + files);
        var loaded = assertDoesNotThrow(() -> TemplateLoader.load("t.yaml", text),
                "a 400 with the field, not an exception");
        assertFalse(loaded.ok());
    }
}
