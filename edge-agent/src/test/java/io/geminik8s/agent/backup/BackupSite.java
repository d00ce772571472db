package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.pg.PgSecret;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Real PostgreSQL 15 nodes with a site secret and a socket folder, run as postgres, and a folder standing for the
 * central repository (a mounted backup host), for the backup tests. Needs root, Debian's postgresql-15 and
 * pgbackrest; skipped without them unless {@code GK8S_REQUIRE_PGBACKREST} is set (.ci/run), then it fails.
 */
final class BackupSite implements AutoCloseable {

    static final PgSecret SECRET = new PgSecret("5e".repeat(32));
    static final BackupPlanner.Role PRIMARY = new BackupPlanner.Role(PairMachine.State.PRIMARY, true);

    /** One event the service journaled. */
    record Recorded(String type, Severity severity, String message, Map<String, String> attrs) {
    }

    final Path root;
    final Path central;
    private final List<PgControl> nodes = new ArrayList<>();
    final List<Recorded> events = Collections.synchronizedList(new ArrayList<>());

    private BackupSite(Path root, Path central) {
        this.root = root;
        this.central = central;
    }

    static BackupSite create(String prefix) throws Exception {
        boolean able = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_rewind"))
                && Files.isExecutable(Path.of(PgBackRest.BINARY)) && "root".equals(System.getProperty("user.name"));
        if (!able && System.getenv("GK8S_REQUIRE_PGBACKREST") != null) { // .ci/run: a skip is no evidence
            throw new IllegalStateException("root, Debian's postgresql-15 and pgbackrest are required here"
                    + " (GK8S_REQUIRE_PGBACKREST)");
        }
        Assumptions.assumeTrue(able, "skipped: needs root, postgresql-15 and pgbackrest (apt-get install"
                + " postgresql-15 pgbackrest); .ci/run installs them and requires this test to run");
        Path root = Files.createTempDirectory(prefix);
        Path central = Files.createDirectory(root.resolve("central"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        chown(root);
        chown(central);
        return new BackupSite(root, central);
    }

    private static void chown(Path p) throws Exception {
        Process c = new ProcessBuilder("chown", "postgres:", p.toString()).start();
        if (c.waitFor() != 0) {
            throw new IllegalStateException("chown " + p);
        }
    }

    /** A node (not started) with the site's secret and a socket folder. */
    PgControl node(String name) {
        PgControl pg = new PgControl(PgControl.DEBIAN_15, root.resolve(name), "127.0.0.1", FreePort.find(), name,
                "postgres").withSecret(SECRET, "127.0.0.0/8").withSocketDirectory(root.resolve(name + ".sock"));
        nodes.add(pg);
        return pg;
    }

    PgBackRest tool(PgControl pg) {
        return new PgBackRest(pg, "site1", root.resolve(pg.name() + ".sock"));
    }

    BackupService service(PgControl pg) {
        return new BackupService(tool(pg), BackupKey.of(SECRET), Clock.systemUTC(),
                (type, severity, message, attrs) -> events.add(new Recorded(type, severity, message, attrs)));
    }

    BackupSpec spec(int archiveTimeoutSeconds) {
        return BackupSpec.parse(Map.of("schedule", Map.of("full", "7d", "diff", "1d", "incr", "1h"),
                "retention", Map.of("full", 2), "archiveTimeoutSeconds", archiveTimeoutSeconds,
                "repository", Map.of("path", central.toString())));
    }

    List<Recorded> events(String type) {
        synchronized (events) {
            return events.stream().filter(e -> e.type().equals(type)).toList();
        }
    }

    @Override
    public void close() throws Exception {
        for (PgControl pg : nodes) {
            pg.close();
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
