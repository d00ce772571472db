package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.Field;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A revocation's reason is stored, logged and printed by the CLI: no control characters, ASCII or not (C1 controls
 * such as NEL and CSI), no line or paragraph separators, no bidi overrides (found by the review of issue 12's changes).
 */
class RevocationReasonTest {

    @ParameterizedTest
    @ValueSource(strings = {"key\u0085compromise", "key \u009b31m compromise", "key\u2028compromise",
            "evil \u202egnp.exe"})
    void aReasonWithControlOrFormatCharactersIsRefused(String reason) throws Exception {
        // the pattern the endpoint checks with (a 400 naming "reason" when it does not match)
        Field f = CertificateRevocationResource.class.getDeclaredField("REASON");
        f.setAccessible(true);
        Pattern p = (Pattern) f.get(null);
        assertFalse(p.matcher(reason).matches(), "accepted: " + reason.codePoints()
                .mapToObj(c -> String.format("U+%04X", c)).toList());
    }

    @org.junit.jupiter.api.Test
    void anOrdinaryReasonInAnyScriptPasses() throws Exception {
        Field f = CertificateRevocationResource.class.getDeclaredField("REASON");
        f.setAccessible(true);
        Pattern p = (Pattern) f.get(null);
        for (String ok : java.util.List.of("key compromise", "superseded by 4f2a", "clé compromise", "密钥泄露")) {
            org.junit.jupiter.api.Assertions.assertTrue(p.matcher(ok).matches(), ok);
        }
    }
}
