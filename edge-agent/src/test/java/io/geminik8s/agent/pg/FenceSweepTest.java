package io.geminik8s.agent.pg;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.proc.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend the postmaster forked after the fence read its process tree is no descendant of anything the fence kills
 * by tree, and its command line is its status ("postgres: a: postgres postgres 127.0.0.1 INSERT"), not the data
 * directory: it outlived the fence and acknowledged one more commit (ReviewProbeUnfenceWindowTest in CI). Here such an
 * orphan is a process named postgres working in the data directory, started by the test: the fence must kill it.
 */
class FenceSweepTest {

    @TempDir
    Path dir;

    @Test
    void aFenceKillsEveryPostgresWorkingInTheDataDirectoryEvenOneOutsideTheTree() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path other = Files.createDirectories(dir.resolve("other"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path postgres = Files.copy(Path.of("/bin/sleep"), bin.resolve("postgres"), StandardCopyOption.COPY_ATTRIBUTES);
        Process orphan = new ProcessBuilder(postgres.toString(), "300").directory(data.toFile()).start();
        Process elsewhere = new ProcessBuilder(postgres.toString(), "300").directory(other.toFile()).start();
        // one whose binary a package upgrade replaced: its executable reads ".../postgres (deleted)"
        Path old = Files.copy(postgres, Files.createDirectories(dir.resolve("old")).resolve("postgres"),
                StandardCopyOption.COPY_ATTRIBUTES);
        Process upgraded = new ProcessBuilder(old.toString(), "300").directory(data.toFile()).start();
        Files.delete(old);
        try {
            PgControl pg = new PgControl(PgControl.DEBIAN_15, data, "127.0.0.1", 1, "a", null);
            pg.fence();
            assertFalse(ProcessRunner.running(orphan.toHandle()), "the orphan outlived the fence"); // a zombie is dead
            assertFalse(ProcessRunner.running(upgraded.toHandle()), "the orphan of a replaced binary outlived it");
            assertTrue(elsewhere.isAlive(), "a postgres of another data directory is not the fence's");
        } finally {
            orphan.destroyForcibly();
            upgraded.destroyForcibly();
            elsewhere.destroyForcibly();
        }
    }
}
