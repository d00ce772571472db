package io.geminik8s.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.BackupSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The restore test (docs/backup.md) with real PostgreSQL 15 and pgBackRest: the newest backup restored beside the
 * data, started, found consistent and still in recovery, then removed; nothing written into the repository (no new
 * timeline's history); a repository whose backup lost its files fails the test with pgBackRest's reason.
 */
class RestoreTestTest {

    private BackupSite site;

    @AfterEach
    void close() throws Exception {
        if (site != null) {
            site.close();
        }
    }

    @Test
    void theNewestBackupIsRestoredStartedCheckedAndRemoved() throws Exception {
        site = BackupSite.create("gk8s-restore-test");
        PgControl a = site.node("a");
        a.initPrimary();
        BackupService onA = site.service(a);
        BackupSpec spec = site.spec(10);
        onA.tick(spec, BackupSite.PRIMARY);
        a.stop();
        a.start();
        a.sql("CREATE TABLE t (id int)");
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().get().ok());

        String found = onA.restoreTest(spec);
        assertTrue(found.contains("restored and started") && found.contains("relations"), found);
        var tested = site.events("backup.restore-tested");
        assertEquals(1, tested.size());
        assertTrue(Long.parseLong(tested.get(0).attrs().get("tookMs")) > 0);
        assertFalse(Files.exists(Path.of(a.dataDirectory() + ".restore-test")), "the scratch copy is removed");
        try (Stream<Path> files = Files.walk(site.central)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().matches("[0-9A-F]{8}\\.history.*")),
                    "the scratch copy was never promoted nor archived anything");
        }
        a.sql("INSERT INTO t VALUES (1)"); // the node's own server untouched

        try (Stream<Path> files = Files.walk(site.central.resolve("backup"))) { // the backup loses its data files
            for (Path p : files.filter(p -> p.toString().contains("/pg_data/base/")).filter(Files::isRegularFile)
                    .toList()) {
                Files.delete(p);
            }
        }
        RuntimeException e = assertThrows(RuntimeException.class, () -> onA.restoreTest(spec));
        assertEquals(1, site.events("backup.restore-test-failed").size(), e.getMessage());
        assertFalse(Files.exists(Path.of(a.dataDirectory() + ".restore-test")));
    }
}
