package io.geminik8s.loadtest.measure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

/**
 * The hub's embedded PostgreSQL seen from outside: its postmaster (from {@code postmaster.pid}: pid, port) for
 * memory and CPU, and {@code pg_stat_database} for committed transactions and written rows.
 */
public final class PgStats {

    /** Cumulative counters at one moment. */
    public record Counters(long commits, long rowsWritten) {
    }

    private final long pid;
    private final int port;
    private final String password;

    private PgStats(long pid, int port, String password) {
        this.pid = pid;
        this.port = port;
        this.password = password;
    }

    /** {@code dataDir}: the hub's {@code <gk8s.data-dir>/postgres}. */
    /** Reads the postmaster's pid and port; call again after a hub restart (a new postmaster). */
    public static PgStats of(Path dataDir) throws java.io.IOException {
        List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
        return new PgStats(Long.parseLong(lines.get(0).trim()), Integer.parseInt(lines.get(3).trim()),
                appPassword(dataDir));
    }

    /** A connection to the hub's database (for scenarios that read or seed it). */
    public Connection connect() throws java.sql.SQLException {
        return DriverManager.getConnection(url(), USER, password);
    }

    /** The hub's role and database in its embedded PostgreSQL, and where the launcher keeps its password. */
    private static final String USER = "gk8s";

    private static String appPassword(Path dataDir) throws java.io.IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newInputStream(dataDir.resolveSibling(dataDir.getFileName() + ".credentials"))) {
            p.load(in);
        }
        return p.getProperty("app");
    }

    private String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + USER;
    }

    /** Proportional set size of the postmaster and its backends (shared buffers counted once). */
    public double pssMb() {
        return ProcessStats.pssMb(pid);
    }

    public double cpuSeconds() {
        return ProcessStats.cpuSeconds(pid);
    }

    /** Events of {@code type} stored by the hub (deduplicated by site, node, seq). */
    public long storedEvents(String type) {
        try (Connection c = connect(); var st = c.prepareStatement("SELECT count(*) FROM node_event WHERE type = ?")) {
            st.setString(1, type);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("counting events on port " + port + ": " + e.getMessage(), e);
        }
    }

    public Counters counters() {
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT sum(xact_commit), sum(tup_inserted + tup_updated + tup_deleted)"
                     + " FROM pg_stat_database")) {
            rs.next();
            return new Counters(rs.getLong(1), rs.getLong(2));
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("pg_stat_database on port " + port + ": " + e.getMessage(), e);
        }
    }
}
