package io.geminik8s.agent.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The root agent writing PostgreSQL's TLS files into a folder the server's OS user owns (found by the review of
 * issue 12's changes): that user — e.g. a database superuser running {@code COPY … TO PROGRAM} — may plant links
 * there at any moment. Here a thread does so as fast as it can, swapping every temporary file it sees for a link to
 * a root-owned secret; the agent must neither write through it nor hand the secret to the server's user.
 */
class PgFilesSymlinkTest {

    private Path root;

    @AfterEach
    void cleanUp() throws Exception {
        if (root != null) {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void theServersOsUserCannotRedirectTheRootAgentsWritesOrOwnership() throws Exception {
        boolean able = PgControl.isRoot() && new ProcessBuilder("id", "postgres").start().waitFor() == 0;
        if (!able && System.getenv("GK8S_REQUIRE_DEBIAN_PG") != null) {
            throw new IllegalStateException("root and a postgres user are required here (GK8S_REQUIRE_DEBIAN_PG)");
        }
        Assumptions.assumeTrue(able, "skipped: needs root and a postgres user (.ci/run has both)");
        root = Files.createTempDirectory("gk8s-symlink");
        Path victim = Files.writeString(Files.createDirectories(root.resolve("agent-state")).resolve("peer.key"),
                "secret-peer-link-key");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
        PgControl pg = new PgControl(PgControl.DEBIAN_15, root.resolve("data"), "127.0.0.1", 5999, "a", "postgres");
        PgTls.rotate(pg);
        Path dir = PgTls.dir(pg);
        assertEquals("postgres", Files.getOwner(dir).getName(), "the attacker owns the folder");

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger planted = new AtomicInteger();
        Thread attacker = new Thread(() -> {
            while (!stop.get()) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        if (p.getFileName().toString().endsWith(".tmp") && !Files.isSymbolicLink(p)) {
                            Files.delete(p);
                            Files.createSymbolicLink(p, victim);
                            planted.incrementAndGet();
                        }
                    }
                } catch (Exception lostThisRound) {
                    // the agent moved it first
                }
            }
        });
        attacker.setDaemon(true);
        attacker.start();
        try {
            for (int i = 0; i < 200; i++) {
                try {
                    PgTls.rotate(pg);
                } catch (RuntimeException lostRace) {
                    // the agent logs it and tries again later
                }
            }
        } finally {
            stop.set(true);
            attacker.join();
        }
        PosixFileAttributes a = Files.readAttributes(victim, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertEquals("root", a.owner().getName(), "root handed a file outside the folder to the server's user ("
                + planted.get() + " links planted)");
        assertEquals("rw-------", PosixFilePermissions.toString(a.permissions()));
        assertEquals("secret-peer-link-key", Files.readString(victim), "root wrote through a planted link");
        System.out.println("links planted during 200 rotations: " + planted.get());
    }
}
