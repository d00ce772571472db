package io.geminik8s.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A certificate swap cut short by a crash: finished when the key was already moved, left alone when it was not. */
class RenewerRecoverTest {

    @TempDir
    Path dir;

    private Renewer renewer() {
        var s = EnrollSettings.parse(Map.of("enroll.url", "https://hub", "enroll.token", "t", "site", "s1", "node", "a",
                "state.dir", dir.toString())::get, new ArrayList<>()).orElseThrow();
        return new Renewer(s, Duration.ofDays(10));
    }

    @Test
    void aSwapCutAfterTheKeyMovedIsFinished() throws Exception {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Files.writeString(tls.resolve("node.key"), "new key");
        Files.writeString(tls.resolve("node.pem"), "old cert");
        Files.writeString(tls.resolve("node.pem.next"), "new cert");
        renewer().recover();
        assertEquals("new cert", Files.readString(tls.resolve("node.pem")));
        assertTrue(Files.notExists(tls.resolve("node.pem.next")));
    }

    @Test
    void aSwapCutBeforeTheKeyMovedKeepsTheOldPair() throws Exception {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Files.writeString(tls.resolve("node.key"), "old key");
        Files.writeString(tls.resolve("node.key.next"), "new key");
        Files.writeString(tls.resolve("node.pem"), "old cert");
        Files.writeString(tls.resolve("node.pem.next"), "new cert");
        renewer().recover();
        assertEquals("old cert", Files.readString(tls.resolve("node.pem")));
        assertEquals("old key", Files.readString(tls.resolve("node.key")));
    }
}
