package io.geminik8s.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Force-promote checks who asks: a request file owned by root or the agent's user, writable by nobody else, is
 * served; one writable by group or others, owned by another user, or a symbolic link is refused unread and audited.
 */
class ForcePromoteRequestTest {

    @TempDir
    Path state;

    private Path submit() {
        new ForcePromoteRequest("alice", "node a burnt", Instant.now()).submit(state);
        return state.resolve(ForcePromoteRequest.REQUEST);
    }

    @Test
    void theOperatorsOwnRequestIsTrusted() throws Exception {
        Path file = submit();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(Optional.empty(), ForcePromoteRequest.untrusted(state));
        assertEquals("alice", ForcePromoteRequest.take(state).orElseThrow().operator());
    }

    @Test
    void aRequestOthersMayWriteIsRefusedAndAudited() throws Exception {
        Path file = submit();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw--w--w-"));
        String why = ForcePromoteRequest.untrusted(state).orElseThrow();
        assertTrue(why.contains("mode 622"), why);
        ForcePromoteRequest.refuseUntrusted(state, why);
        assertFalse(Files.exists(file), "removed unread");
        String result = Files.readString(state.resolve(ForcePromoteRequest.RESULT));
        assertTrue(result.startsWith("refused: request not trusted"), result);
        assertTrue(Files.readString(state.resolve(ForcePromoteRequest.AUDIT)).contains("mode 622"));
    }

    @Test
    void aSymbolicLinkIsRefused() throws Exception {
        Path target = Files.writeString(state.resolve("elsewhere"), "operator=mallory\nreason=x\n");
        Files.createSymbolicLink(state.resolve(ForcePromoteRequest.REQUEST), target);
        assertTrue(ForcePromoteRequest.untrusted(state).orElseThrow().contains("not a regular file"));
    }

    @Test
    void aRequestOwnedByAnotherUserIsRefused() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "chown needs root");
        Path file = submit();
        Files.setAttribute(file, "unix:uid", 65534); // nobody
        String why = ForcePromoteRequest.untrusted(state).orElseThrow();
        assertTrue(why.contains("owned by uid 65534"), why);
    }
}
