package io.geminik8s.agent.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbesTest {

    @TempDir
    Path dir;

    @Test
    void postgresProbeReportsTheRoleOfARealServerAndDownWhenItIsGone() {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null, false)) {
            PgProbe probe = new PgProbe(new AgentConfig.Postgres(db.jdbcUrl(), db.user(), db.password().toCharArray()));
            Health.Pg pg = probe.probe();
            assertEquals(Role.PRIMARY, pg.role());
            assertEquals(0L, pg.replicationLagBytes());
            assertEquals(false, pg.streaming(), "no standby attached");
            assertNull(pg.error());
            assertTrue(probe.serverVersion().startsWith("18."), probe.serverVersion());
        }
        PgProbe gone = new PgProbe(new AgentConfig.Postgres("jdbc:postgresql://127.0.0.1:" + FreePort.find()
                + "/postgres", "postgres", null));
        Health.Pg down = gone.probe();
        assertEquals(Role.DOWN, down.role());
        assertTrue(down.error().startsWith("08001"), down.error());
    }

    @Test
    void systemProbeReadsProcAndGivesCpuFromTheSecondSampleOn() {
        SystemProbe probe = new SystemProbe(Path.of("/proc"), dir);
        SystemProbe.Sample first = probe.sample();
        assertNull(first.cpuPct(), "CPU needs two samples");
        assertTrue(first.memTotalBytes() > first.memUsedBytes() && first.memUsedBytes() > 0);
        assertTrue(first.diskTotalBytes() >= first.diskUsedBytes() && first.diskUsedBytes() > 0);
        assertTrue(first.uptimeS() > 0);
        for (long end = System.nanoTime() + 50_000_000; System.nanoTime() < end; ) {
            Math.sqrt(end); // some CPU so the counters move
        }
        Double cpu = probe.sample().cpuPct();
        assertNotNull(cpu);
        assertTrue(cpu >= 0 && cpu <= 100, "cpu " + cpu);
        assertEquals(Math.round(cpu * 10) / 10.0, cpu, 0.0, "rounded to 0.1 %: short on the wire");
        assertTrue(Double.toString(cpu).length() <= 5, "cpu " + cpu);
    }

    @Test
    void systemProbeToleratesAMissingProc() {
        SystemProbe.Sample s = new SystemProbe(dir.resolve("no-proc"), dir).sample();
        assertNull(s.memTotalBytes());
        assertNull(s.uptimeS());
        assertNull(s.cpuPct());
    }

    @Test
    void certProbeReportsUnreadableFilesInsteadOfSkippingThem() throws Exception {
        Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        List<Health.CertExpiry> out = new CertProbe(List.of(dir.resolve("junk.pem"), dir.resolve("missing.pem")))
                .probe();
        assertEquals(2, out.size());
        assertTrue(out.stream().allMatch(c -> c.notAfter() == null && c.error() != null));
    }

    @Test
    void certProbeRefusesAFileFarLargerThanACertificateWithoutReadingIt() throws Exception {
        Path big = dir.resolve("not-a-cert.pem"); // a path set to the wrong file: sparse, 64 MB, twice the agent's heap
        try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        List<Health.CertExpiry> out = new CertProbe(List.of(big)).probe();
        assertEquals(1, out.size());
        assertTrue(out.get(0).error().contains("more than a certificate file has"), out.get(0).error());
    }
}
