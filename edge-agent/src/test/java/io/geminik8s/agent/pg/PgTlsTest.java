package io.geminik8s.agent.pg;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.TestPki;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.embedded.FreePort;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pair's replication over TLS with the nodes' own fleet certificates (issue 12): the standby streams only over
 * TLS and only with a certificate of the fleet CA; a renewed certificate reaches PostgreSQL by a reload — the
 * server presents the new one and the standby's next connection shows its new one, with no restart.
 */
class PgTlsTest {

    private static final PgSecret SECRET = new PgSecret("5a".repeat(32));
    private final ProcessRunner runner = new ProcessRunner();
    private TestPki pki;
    private Path root;
    private PgControl a;
    private PgControl b;

    @BeforeEach
    void pair() throws Exception {
        boolean installed = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_rewind"));
        if (!installed && System.getenv("GK8S_REQUIRE_DEBIAN_PG") != null) {
            throw new IllegalStateException("PostgreSQL 15 from Debian is required here (GK8S_REQUIRE_DEBIAN_PG)");
        }
        Assumptions.assumeTrue(installed, "skipped: needs Debian's postgresql-15; .ci/run requires this test to run");
        pki = new TestPki();
        root = Files.createTempDirectory("gk8s-pgtls");
        new ProcessBuilder("chown", "postgres:", root.toString()).start().waitFor();
        a = node("a");
        b = node("b");
        a.initPrimary();
        a.sql("CREATE TABLE acked (id int PRIMARY KEY)");
        b.cloneFrom(a);
        a.setSynchronousStandby("b");
        await().atMost(Duration.ofSeconds(30)).until(() -> a.synchronousState().equals("sync"));
    }

    private PgControl node(String name) throws Exception {
        Path tls = Files.createDirectories(root.resolve(name + "-agent-tls")); // the agent's enrolled files
        BigInteger serial = enroll(name);
        assertTrue(serial.signum() > 0);
        return new PgControl(PgControl.DEBIAN_15, root.resolve(name), "127.0.0.1", FreePort.find(), name, "postgres")
                .withSecret(SECRET, "127.0.0.0/8")
                .withTls(new PgTlsFiles(tls.resolve("node.pem"), tls.resolve("node.key"), tls.resolve("ca.pem")));
    }

    /** A (new) certificate for node {@code name}, written where the agent keeps it, as a renewal does. */
    private BigInteger enroll(String name) throws Exception {
        Path tls = root.resolve(name + "-agent-tls");
        TestPki.Issued issued = pki.issue("CN=s1/" + name, "127.0.0.1");
        TestPki.pem(tls.resolve("node.pem"), "CERTIFICATE", issued.cert().getEncoded());
        TestPki.keyPem(tls.resolve("node.key"), issued.keys().getPrivate());
        TestPki.pem(tls.resolve("ca.pem"), "CERTIFICATE", pki.caCert().getEncoded());
        return issued.cert().getSerialNumber();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (root == null) {
            return;
        }
        a.close();
        b.close();
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The walsender's view of b's connection on a: over TLS?, and the client certificate's serial. */
    private String standbyConnection() throws Exception {
        try (Connection c = a.connect(); Statement st = c.createStatement(); var rs = st.executeQuery(
                "SELECT s.ssl || ' ' || coalesce(s.client_serial::text, '-') FROM pg_stat_replication r"
                        + " JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = 'b'")) {
            return rs.next() ? rs.getString(1) : "none";
        }
    }

    private ProcessRunner.Result basebackup(String options) {
        return runner.run(Duration.ofSeconds(30), List.of("setpriv", "--reuid=postgres", "--regid=postgres",
                        "--init-groups", "--", PgControl.DEBIAN_15.resolve("pg_basebackup").toString(), "-D",
                        root.resolve("copy").toString(), "-w", "-d", "host=127.0.0.1 port=" + a.port
                                + " user=" + PgControl.REPLICATION_USER + " " + options),
                Map.of("PGPASSWORD", SECRET.password(PgControl.REPLICATION_USER)));
    }

    @Test
    void replicationRunsOnlyOverTlsWithACertificateOfTheFleet() throws Exception {
        assertEquals("true " + enrolledSerial("b"), standbyConnection());
        ProcessRunner.Result plain = basebackup("sslmode=disable");
        assertFalse(plain.ok(), plain.describe());
        assertTrue(plain.describe().contains("no pg_hba.conf entry for replication connection"), plain.describe());
        ProcessRunner.Result noCert = basebackup("sslmode=require sslcert=/nonexistent sslkey=/nonexistent");
        assertFalse(noCert.ok(), noCert.describe());
        assertTrue(noCert.describe().contains("certificate"), noCert.describe());

        TestPki stranger = new TestPki(); // right password, a certificate from another CA
        TestPki.Issued forged = stranger.issue("CN=s1/b", "127.0.0.1");
        Path dir = Files.createDirectories(root.resolve("stranger"));
        TestPki.pem(dir.resolve("c.pem"), "CERTIFICATE", forged.cert().getEncoded());
        TestPki.keyPem(dir.resolve("c.key"), forged.keys().getPrivate());
        new ProcessBuilder("chown", "-R", "postgres:", dir.toString()).start().waitFor();
        new ProcessBuilder("chmod", "600", dir.resolve("c.key").toString()).start().waitFor();
        ProcessRunner.Result strangers = basebackup("sslmode=require sslcert=" + dir.resolve("c.pem") + " sslkey="
                + dir.resolve("c.key"));
        assertFalse(strangers.ok(), strangers.describe());
        // refused in the handshake (the server cannot verify its signature: another CA's key under the same name)
        assertTrue(strangers.describe().contains("SSL error"), strangers.describe());
    }

    @Test
    void aRenewedCertificateIsReloadedWithoutARestart() throws Exception {
        long aPid = a.pid().orElseThrow();
        long bPid = b.pid().orElseThrow();
        assertEquals(enrolledSerial("a"), presentedSerial(a));
        assertFalse(a.refreshTls(), "nothing changed yet");

        BigInteger newA = enroll("a");
        BigInteger newB = enroll("b");
        assertTrue(a.refreshTls());
        assertTrue(b.refreshTls());
        await().atMost(Duration.ofSeconds(10)).until(() -> presentedSerial(a).equals(newA));
        a.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'b'");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> standbyConnection().equals("true " + newB));
        await().atMost(Duration.ofSeconds(30)).until(() -> a.synchronousState().equals("sync"));
        a.sql("INSERT INTO acked VALUES (1)");
        assertEquals(aPid, a.pid().orElseThrow(), "no restart");
        assertEquals(bPid, b.pid().orElseThrow(), "no restart");
    }

    private BigInteger enrolledSerial(String name) throws Exception {
        try (var in = Files.newInputStream(root.resolve(name + "-agent-tls").resolve("node.pem"))) {
            return ((java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in)).getSerialNumber();
        }
    }

    /** The serial of the certificate the server presents now (openssl's PostgreSQL STARTTLS). */
    private BigInteger presentedSerial(PgControl pg) {
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(10), List.of("bash", "-c", "openssl s_client -starttls"
                + " postgres -connect 127.0.0.1:" + pg.port + " </dev/null 2>/dev/null | openssl x509 -noout -serial"),
                Map.of());
        String out = r.stdout();
        int at = out.indexOf("serial=");
        assertTrue(at >= 0, r.describe());
        return new BigInteger(out.substring(at + 7).strip().split("\\s")[0], 16);
    }
}
