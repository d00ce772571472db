package io.geminik8s.agent.pg;

import static org.awaitility.Awaitility.await;

import io.geminik8s.embedded.FreePort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real PostgreSQL 15 pair on loopback for the tests (Debian's packages, installed and required by .ci/run): a
 * primary {@code a} with a table {@code acked}, its standby {@code b} cloned from it, synchronous. Skipped only where
 * Debian's PostgreSQL is missing and {@code GK8S_REQUIRE_DEBIAN_PG} is unset.
 */
final class PgPair implements AutoCloseable {

    final Path root;
    final PgControl a;
    final PgControl b;

    private PgPair(Path root, PgControl a, PgControl b) {
        this.root = root;
        this.a = a;
        this.b = b;
    }

    /** Each node as {@code configure} makes it (a secret, TLS...) from a plain loopback node run as postgres. */
    static PgPair start(String prefix, UnaryOperator<PgControl> configure) throws Exception {
        boolean installed = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_rewind"));
        if (!installed && System.getenv("GK8S_REQUIRE_DEBIAN_PG") != null) {
            throw new IllegalStateException("PostgreSQL 15 from Debian is required here (GK8S_REQUIRE_DEBIAN_PG)");
        }
        Assumptions.assumeTrue(installed, "skipped: needs Debian's postgresql-15 (apt-get install postgresql-15);"
                + " .ci/run installs it and requires this test to run");
        Path root = Files.createTempDirectory(prefix);
        new ProcessBuilder("chown", "postgres:", root.toString()).start().waitFor();
        PgPair p = new PgPair(root, configure.apply(node(root, "a")), configure.apply(node(root, "b")));
        p.a.initPrimary();
        p.a.sql("CREATE TABLE acked (id int PRIMARY KEY)");
        p.b.cloneFrom(p.a);
        p.a.setSynchronousStandby("b");
        await().atMost(Duration.ofSeconds(30)).until(() -> p.a.synchronousState().equals("sync"));
        return p;
    }

    private static PgControl node(Path root, String name) {
        return new PgControl(PgControl.DEBIAN_15, root.resolve(name), "127.0.0.1", FreePort.find(), name, "postgres");
    }

    @Override
    public void close() throws Exception {
        a.close();
        b.close();
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
