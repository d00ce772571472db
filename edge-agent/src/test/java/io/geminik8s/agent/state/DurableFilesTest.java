package io.geminik8s.agent.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.journal.Journal;
import io.geminik8s.agent.reconcile.DesiredStateStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {

    @TempDir
    Path tmp;

    @Test
    void aStateFileIsReplacedWholeWithMode0600AndNoTemporaryLeft() throws Exception {
        Path dir = DurableFiles.privateDirectory(tmp.resolve("state"));
        Path file = dir.resolve("ha-epoch");
        DurableFiles.writeString(file, "1");
        DurableFiles.writeString(file, "2");
        assertEquals("2", Files.readString(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(Files.exists(dir.resolve("ha-epoch.tmp")));
    }

    @Test
    void theStateFolderIsMade0700AlsoWhenItExistedWider() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("state"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        DurableFiles.privateDirectory(dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void aLeftOverTemporaryWithAWiderModeDoesNotWidenTheFile() throws Exception {
        Path file = tmp.resolve("desired-generation");
        Files.writeString(tmp.resolve("desired-generation.tmp"), "junk");
        Files.setPosixFilePermissions(tmp.resolve("desired-generation.tmp"), PosixFilePermissions.fromString("rw-rw-rw-"));
        DurableFiles.writeString(file, "7");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void emptyOrGarbledFilesReadAsAbsent() throws Exception {
        Path file = tmp.resolve("ha-epoch");
        assertEquals(OptionalLong.empty(), DurableFiles.readLong(file));
        Files.writeString(file, "");
        assertEquals(OptionalLong.empty(), DurableFiles.readLong(file));
        assertEquals(Optional.empty(), DurableFiles.readText(file));
        Files.write(file, new byte[] {0, 0, 0, 0}); // what a lost delayed allocation leaves
        assertEquals(OptionalLong.empty(), DurableFiles.readLong(file));
        Files.writeString(file, " 42\n");
        assertEquals(OptionalLong.of(42), DurableFiles.readLong(file));
    }

    @Test
    void anEmptyDesiredGenerationDoesNotStopTheStoreAndItsFilesAre0600() throws Exception {
        Path state = tmp.resolve("state");
        Files.createDirectories(state);
        Files.writeString(state.resolve("desired-generation"), "");
        DesiredStateStore store = new DesiredStateStore(state);
        assertEquals(0, store.generation(), "treated as absent: the next desired state is applied again");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)));
    }

    @Test
    void aDamagedJournalSequenceNeverReusesANumber() throws Exception {
        Path dir = tmp.resolve("journal");
        Journal j = new Journal(dir, 10);
        long seq = j.append(s -> "e".getBytes(StandardCharsets.UTF_8)).orElseThrow();
        j.remove(seq); // acknowledged: nothing left to number from but the seq file
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("seq"))));
        Files.writeString(dir.resolve("seq"), "");
        Journal again = new Journal(dir, 10);
        long next = again.append(s -> "e".getBytes(StandardCharsets.UTF_8)).orElseThrow();
        assertTrue(next > 1_000_000_000L, "numbering goes on above any count reached, got " + next);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }
}
