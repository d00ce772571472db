package io.geminik8s.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the agent enrolls, and what it refuses to enroll with. */
class EnrollSettingsTest {

    @TempDir
    Path dir;

    private static List<String> problems(Map<String, String> values) {
        List<String> problems = new ArrayList<>();
        EnrollSettings.parse(values::get, problems);
        return problems;
    }

    @Test
    void onlyWithAnEnrollUrlAndNoCertificateOfItsOwn() {
        List<String> p = new ArrayList<>();
        assertTrue(EnrollSettings.parse(Map.<String, String>of()::get, p).isEmpty());
        assertTrue(EnrollSettings.parse(Map.of("enroll.url", "https://hub", "enroll.token", "t", "tls.cert", "x")::get, p)
                .isEmpty(), "a configured certificate wins");
        var s = EnrollSettings.parse(Map.of("enroll.url", "https://hub:8443", "enroll.token", "t", "site", "s1",
                "node", "a", "state.dir", dir.toString())::get, p).orElseThrow();
        assertEquals(List.of(), p);
        assertEquals(dir.resolve("tls").resolve("node.pem").toString(), s.withTls(Map.of()).get("GK8S_AGENT_TLS_CERT"));
        assertTrue(!s.toString().contains("=t,") && s.toString().contains("token=***"), "the token stays out of logs");
    }

    @Test
    void plainHttpAndAMissingTokenAreRefused() throws Exception {
        assertTrue(problems(Map.of("enroll.url", "http://hub", "enroll.token", "t")).get(0).contains("https:// is required"));
        assertEquals(List.of(), problems(Map.of("enroll.url", "http://hub", "enroll.token", "t",
                "enroll.allow-plaintext", "true")));
        assertTrue(problems(Map.of("enroll.url", "https://hub")).get(0).contains("claim token is required"));
        Path token = Files.writeString(dir.resolve("claim"), "gk8s-claim-x\n");
        assertEquals(List.of(), problems(Map.of("enroll.url", "https://hub", "enroll.token-file", token.toString())));
        Files.delete(token);
        assertTrue(problems(Map.of("enroll.url", "https://hub", "enroll.token-file", token.toString(),
                "state.dir", dir.toString())).get(0).contains("claim token is required"), "not enrolled yet");
        Files.createDirectories(dir.resolve("tls"));
        Files.writeString(dir.resolve("tls").resolve("node.pem"), "enrolled");
        assertEquals(List.of(), problems(Map.of("enroll.url", "https://hub", "enroll.token-file", token.toString(),
                "state.dir", dir.toString())), "once enrolled the spent claim file may be gone");
    }
}
