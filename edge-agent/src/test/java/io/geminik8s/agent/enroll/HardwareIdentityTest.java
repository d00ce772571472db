package io.geminik8s.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading this node's hardware identity from a file: what counts as none, and what is refused. */
class HardwareIdentityTest {

    @TempDir
    Path dir;
    private final List<String> problems = new ArrayList<>();

    private Optional<String> read(String content, boolean configured) throws Exception {
        return HardwareIdentity.read(Files.writeString(dir.resolve("id"), content), configured, problems);
    }

    @Test
    void aDmiUuidIsNormalised() throws Exception {
        assertEquals(Optional.of("4c4c4544-0051-3510-8052-b7c04f4e3732"),
                read("  4C4C4544-0051-3510-8052-B7C04F4E3732\n", true));
        assertEquals(Optional.of("100000005f3a2b1c"), read("100000005f3a2b1c\u0000", true), "device-tree serials end in NUL");
        assertEquals(List.of(), problems);
    }

    @Test
    void anAbsentEmptyOrBlankFileIsNoIdentity() throws Exception {
        assertEquals(Optional.empty(), HardwareIdentity.read(dir.resolve("absent"), true, problems));
        assertEquals(Optional.empty(), read("", true));
        assertEquals(Optional.empty(), read(" \n\t \n", true));
        assertEquals(Optional.empty(), read("00000000-0000-0000-0000-000000000000\n", true), "not settable");
        assertEquals(Optional.empty(), read("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n", true), "not present");
        assertEquals(List.of(), problems);
    }

    @Test
    void anOversizedOrMalformedConfiguredFileIsAProblem() throws Exception {
        for (String bad : List.of("x".repeat(129), "y".repeat(HardwareIdentity.MAX_BYTES + 1), "Not Settable",
                "4c4c\u00004544", "caf\u00e9", "-lead")) {
            problems.clear();
            assertEquals(Optional.empty(), read(bad, true), bad.length() > 40 ? bad.length() + " chars" : bad);
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).startsWith("enroll.hardware-id-file: " + dir.resolve("id")), problems.get(0));
        }
        problems.clear();
        assertEquals(Optional.of("x".repeat(128)), read("x".repeat(128) + "\n", true), "the longest allowed");
        assertEquals(Optional.empty(), HardwareIdentity.read(dir, true, problems), "a folder");
        assertEquals(1, problems.size(), problems.toString());
    }

    @Test
    void theDefaultFileOnlyWarns() throws Exception {
        assertEquals(Optional.empty(), read("Not Settable", false), "a board without a UUID");
        assertEquals(Optional.empty(), read("z".repeat(HardwareIdentity.MAX_BYTES + 1), false));
        assertEquals(List.of(), problems);
    }

    @Test
    void theSettingNamesTheFileOrNone() throws Exception {
        Path id = Files.writeString(dir.resolve("uuid"), "ABC-1\n");
        var base = new java.util.HashMap<>(java.util.Map.of("enroll.url", "https://hub", "enroll.token", "t",
                "site", "s1", "node", "a", "state.dir", dir.toString(), "enroll.hardware-id-file", id.toString()));
        assertEquals("abc-1", EnrollSettings.parse(base::get, problems).orElseThrow().hardwareId());
        base.put("enroll.hardware-id-file", "none");
        assertEquals(null, EnrollSettings.parse(base::get, problems).orElseThrow().hardwareId());
        Files.writeString(id, "x".repeat(200));
        base.put("enroll.hardware-id-file", id.toString());
        assertTrue(EnrollSettings.parse(base::get, problems).isEmpty());
        assertTrue(problems.get(0).contains("more than 128 characters"), problems.toString());
    }
}
