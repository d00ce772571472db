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
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pair whose PostgreSQL asks every connection for a SCRAM password derived from the site's secret (issue 12):
 * the standby clones, streams and rewinds with the replication role's password from a 0600 file outside the data
 * directory; clients with no password, a wrong one, or another site's are refused; the superuser cannot replicate.
 */
class PgPasswordTest {

    private static final PgSecret SECRET = new PgSecret("0f".repeat(32));
    private PgPair pair;
    private Path root;
    private PgControl a;
    private PgControl b;

    @BeforeEach
    void pair() throws Exception {
        pair = PgPair.start("gk8s-pgpw", n -> n.withSecret(SECRET, "127.0.0.0/8"));
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

    @Test
    void aClientWithoutTheRightPasswordIsRefusedAndTheStandbyStreamsWithItsOwn() throws Exception {
        a.sql("INSERT INTO acked VALUES (1)");
        // 08004: the driver's "the server requested SCRAM-based authentication, but no password was provided"
        assertEquals("08004", refusal(a, "postgres", null), "no password");
        assertEquals("28P01", refusal(a, "postgres", "trust-me"), "a wrong password");
        assertEquals("28P01", refusal(a, "postgres", new PgSecret("aa".repeat(32)).password("postgres")),
                "another site's password");
        assertEquals("28P01", refusal(a, "postgres", SECRET.password(PgControl.REPLICATION_USER)),
                "the replication role's password is not the superuser's");
        assertNotEquals(SECRET.password("postgres"), SECRET.password(PgControl.REPLICATION_USER));

        // the replication role's password is on the standby's disk, beside its data, 0600; never inside the data
        Path passfile = b.passfile();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passfile)));
        assertEquals("postgres", Files.getOwner(passfile).getName(), "the walreceiver (user postgres) reads it");
        String auto = Files.readString(root.resolve("b").resolve("postgresql.auto.conf"));
        assertTrue(auto.contains("passfile=" + passfile.toAbsolutePath()), auto);
        assertFalse(auto.contains(SECRET.password(PgControl.REPLICATION_USER)), "no password in the data directory");
        assertFalse(Files.readString(root.resolve("a").resolve("pg_hba.conf")).contains("trust"));

        // a base backup as the superuser is refused: replication only as the replication role
        ProcessRunner.Result asSuperuser = new ProcessRunner().run(Duration.ofSeconds(30), List.of("setpriv",
                        "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
                        PgControl.DEBIAN_15.resolve("pg_basebackup").toString(), "-D", root.resolve("copy").toString(),
                        "-d", "host=127.0.0.1 port=" + a.port + " user=postgres", "-w"),
                Map.of("PGPASSWORD", SECRET.password("postgres")));
        assertFalse(asSuperuser.ok(), asSuperuser.describe());
        assertTrue(asSuperuser.describe().contains("no pg_hba.conf entry for replication connection"),
                asSuperuser.describe());
    }

    @Test
    void theOldPrimaryRewindsWithPasswordsAndStreamsAgain() throws Exception {
        a.sql("INSERT INTO acked VALUES (1)");
        a.kill(); // power-off
        b.promote();
        b.sql("INSERT INTO acked VALUES (2)");
        a.rewindFrom(b);
        b.setSynchronousStandby("a");
        await().atMost(Duration.ofSeconds(30)).until(() -> b.synchronousState().equals("sync"));
        b.sql("INSERT INTO acked VALUES (3)");
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            try (var c = a.connect(); var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM acked")) {
                rs.next();
                return rs.getInt(1) == 3;
            }
        });
    }

    /** The SQLSTATE a login as {@code user} with {@code password} fails with (or "logged in"). */
    private static String refusal(PgControl pg, String user, String password) {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "3");
        SQLException e = assertThrows(SQLException.class, () -> DriverManager.getConnection(pg.jdbcUrl(), p).close());
        return e.getSQLState();
    }

    @Test
    void kineHasItsOwnRoleAndDatabaseAndNothingMore() throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", PgControl.KINE_USER);
        p.setProperty("password", SECRET.password(PgControl.KINE_USER));
        String url = "jdbc:postgresql://127.0.0.1:" + a.port + "/" + PgControl.KINE_USER;
        try (var c = DriverManager.getConnection(url, p); var st = c.createStatement()) {
            st.execute("CREATE TABLE kine_probe (id bigint PRIMARY KEY)"); // its own database: Kine makes its table
            assertThrows(IllegalStateException.class, () -> a.sqlWhereFound(List.of(PgControl.KINE_USER, "postgres"),
                    io.geminik8s.agent.k3s.K3sDriver.BUMP_KINE_IDS), "no kine table anywhere yet");
            st.execute("CREATE TABLE kine (id SERIAL PRIMARY KEY, name text)");
            st.execute("INSERT INTO kine (name) VALUES ('/registry/x')");
            // after a lossy promotion the agent moves Kine's revisions ahead where Kine keeps them: its own database
            a.sqlWhereFound(List.of(PgControl.KINE_USER, "postgres"), io.geminik8s.agent.k3s.K3sDriver.BUMP_KINE_IDS);
            try (var rs = st.executeQuery("SELECT last_value FROM kine_id_seq")) {
                rs.next();
                assertEquals(1_000_001L, rs.getLong(1));
            }
            assertEquals("42501", assertThrows(SQLException.class, () -> st.execute("CREATE ROLE intruder"))
                    .getSQLState(), "no role management");
            assertEquals("42501", assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM pg_authid"))
                    .getSQLState(), "no password verifiers");
        }
        assertEquals("28P01", refusal(a, PgControl.KINE_USER, SECRET.password("postgres")), "its own password only");
        ProcessRunner.Result replication = new ProcessRunner().run(Duration.ofSeconds(30), List.of("setpriv",
                        "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
                        PgControl.DEBIAN_15.resolve("pg_basebackup").toString(), "-D", root.resolve("kine-copy").toString(),
                        "-d", "host=127.0.0.1 port=" + a.port + " user=" + PgControl.KINE_USER, "-w"),
                Map.of("PGPASSWORD", SECRET.password(PgControl.KINE_USER)));
        assertFalse(replication.ok(), "Kine cannot copy the cluster: " + replication.describe());
    }
}
