package io.geminik8s.agent.pg;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.proc.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pair's PostgreSQL over TLS with a key of its own (issue 12): the standby streams only over TLS with SCRAM bound
 * to the server's certificate (channel binding); the key is PostgreSQL's, not the node's identity, 0600 in a 0700
 * folder of the server's user; a rotation makes a new one that the server presents after a reload, no restart;
 * a reload that failed is tried again.
 */
class PgTlsTest {

    private static final PgSecret SECRET = new PgSecret("5a".repeat(32));
    private final ProcessRunner runner = new ProcessRunner();
    private PgPair pair;
    private Path root;
    private PgControl a;
    private PgControl b;

    @BeforeEach
    void pair() throws Exception {
        pair = PgPair.start("gk8s-pgtls", n -> n.withSecret(SECRET, "127.0.0.0/8").withTls(true));
        root = pair.root;
        a = pair.a;
        b = pair.b;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (pair != null) {
            pair.close();
        }
    }

    /** The walsender's view of b's connection on a: over TLS? */
    private String standbyConnection() throws Exception {
        try (Connection c = a.connect(); Statement st = c.createStatement(); var rs = st.executeQuery(
                "SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = 'b'")) {
            return rs.next() ? rs.getString(1) : "none";
        }
    }

    private ProcessRunner.Result psql(String options) {
        return runner.run(Duration.ofSeconds(20), List.of("setpriv", "--reuid=postgres", "--regid=postgres",
                        "--init-groups", "--", PgControl.DEBIAN_15.resolve("psql").toString(), "-w", "-tAc",
                        "SELECT 1", "host=127.0.0.1 port=" + a.port + " user=postgres dbname=postgres " + options),
                Map.of("PGPASSWORD", SECRET.password("postgres")));
    }

    @Test
    void theStandbyStreamsOverTlsWithChannelBindingAndPlainConnectionsAreRefused() throws Exception {
        assertEquals("t", standbyConnection());
        ProcessRunner.Result plain = psql("sslmode=disable");
        assertFalse(plain.ok(), plain.describe());
        assertTrue(plain.describe().contains("no pg_hba.conf entry"), plain.describe());
        ProcessRunner.Result bound = psql(PgTls.clientOptions(a));
        assertTrue(bound.ok(), "the server offers SCRAM-SHA-256-PLUS: " + bound.describe());

        Path dir = PgTls.dir(a);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("postgres", Files.getOwner(dir).getName());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(PgTls.KEY))));
        assertEquals("postgres", Files.getOwner(dir.resolve(PgTls.KEY)).getName());
        assertTrue(presented(a).contains("CN = gk8s-postgres-a"), presented(a));
    }

    @Test
    void aRotationIsPresentedAfterAReloadWithoutARestart() throws Exception {
        long aPid = a.pid().orElseThrow();
        String before = presented(a);
        assertFalse(a.checkTls(), "nothing new yet");
        assertTrue(a.rotateTls().endsWith("reloaded"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !presented(a).equals(before));
        a.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'b'");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> standbyConnection().equals("t"));
        await().atMost(Duration.ofSeconds(30)).until(() -> a.synchronousState().equals("sync"));
        a.sql("INSERT INTO acked VALUES (1)");
        assertEquals(aPid, a.pid().orElseThrow(), "no restart");
    }

    @Test
    void aReloadThatFailedIsTriedAgain() throws Exception {
        String before = presented(a);
        long pid = a.pid().orElseThrow();
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor(); // a server that does not answer
        try {
            assertThrows(IllegalStateException.class, a::rotateTls, "the rotation says it was not reloaded");
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        assertEquals(before, presented(a), "not reloaded yet");
        assertTrue(a.checkTls(), "the next check reloads it");
        await().atMost(Duration.ofSeconds(10)).until(() -> !presented(a).equals(before));
        assertFalse(a.checkTls(), "once");
    }

    /** The subject and serial of the certificate the server presents now (openssl's PostgreSQL STARTTLS). */
    private String presented(PgControl pg) {
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(10), List.of("bash", "-c", "openssl s_client -starttls"
                + " postgres -connect 127.0.0.1:" + pg.port + " </dev/null 2>/dev/null | openssl x509 -noout -subject"
                + " -serial"), Map.of());
        assertTrue(r.stdout().contains("serial="), r.describe());
        return r.stdout().strip();
    }
}
