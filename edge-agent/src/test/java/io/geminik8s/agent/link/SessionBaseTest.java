package io.geminik8s.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionBaseTest {

    @TempDir
    Path state;

    @Test
    void sessionsGrowOverRestartsWhateverTheClockSays() throws Exception {
        long first = SessionBase.next(state, 1_795_000_000_000L);
        assertEquals(1_795_000_000_000_000L, first, "the first start ever numbers as agents always did");
        long second = SessionBase.next(state, 1_000L); // booted with the clock decades behind
        long third = SessionBase.next(state, 1_000L);
        assertEquals(first + SessionBase.PER_START, second);
        assertEquals(second + SessionBase.PER_START, third);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                state.resolve(SessionBase.FILE))));
    }

    @Test
    void aDamagedFileFallsBackToTheClockInsteadOfStoppingTheAgent() throws Exception {
        Files.writeString(state.resolve(SessionBase.FILE), "");
        assertEquals(5_000L, SessionBase.next(state, 5L));
        assertTrue(SessionBase.next(state, 1L) > 5_000L);
    }
}
