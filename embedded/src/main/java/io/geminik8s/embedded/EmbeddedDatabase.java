package io.geminik8s.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * PostgreSQL 18 from zonky's binaries, run as a child process on loopback. With a data folder that already holds a
 * cluster, the data is kept (the demo hub survives Ctrl-C and a restart); a postgres left running by a killed JVM
 * on the same folder is stopped first. Secured like a server ({@link DatabaseCredentials}): every connection
 * authenticates with SCRAM, the superuser's password is known only to this launcher, and the hub connects as
 * {@value #APP_USER}, owner of database {@value #APP_DATABASE} and nothing else.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    public static final String APP_USER = "gk8s";
    public static final String APP_DATABASE = "gk8s";
    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class.getName());

    private final EmbeddedPostgres pg;
    private final DatabaseCredentials credentials;

    private EmbeddedDatabase(EmbeddedPostgres pg, DatabaseCredentials credentials) {
        this.pg = pg;
        this.credentials = credentials;
    }

    /**
     * {@code dataDir} null: a fresh throw-away cluster. {@code durable}: synchronous_commit on (zonky turns it off),
     * and the caller stops the server itself, after its last write: zonky's JVM shutdown hook would stop it in
     * parallel with the application's own shutdown — the hub's final flush then found the server gone and the
     * events it held were lost (13 of 1,526 in a 10,000-agent reconnect storm).
     */
    public static EmbeddedDatabase start(Path dataDir, boolean durable) {
        try {
            EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setPort(FreePort.find())
                    .setServerConfig("max_connections", "100").setRegisterShutdownHook(!durable);
            if (durable) {
                b.setServerConfig("synchronous_commit", "on").setServerConfig("fsync", "on")
                        .setServerConfig("full_page_writes", "on");
            }
            DatabaseCredentials credentials;
            if (dataDir != null) {
                Files.createDirectories(dataDir);
                stopOrphan(dataDir);
                b.setDataDirectory(dataDir).setCleanDataDirectory(false);
                credentials = DatabaseCredentials.loadOrCreate(DatabaseCredentials.fileFor(dataDir));
            } else {
                credentials = DatabaseCredentials.generate();
            }
            // zonky checks readiness with this; a cluster made by initdb trusts loopback until secure() below
            b.setConnectConfig("password", credentials.superuser());
            EmbeddedPostgres pg = b.start();
            credentials.secure(pg.getPostgresDatabase().getConnection());
            return new EmbeddedDatabase(pg, credentials);
        } catch (IOException | java.sql.SQLException e) {
            throw new IllegalStateException("embedded PostgreSQL failed to start: " + e.getMessage(), e);
        }
    }

    public int port() {
        return pg.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + APP_DATABASE;
    }

    public String reactiveUrl() {
        return "postgresql://127.0.0.1:" + port() + "/" + APP_DATABASE;
    }

    public String user() {
        return APP_USER;
    }

    public String password() {
        return credentials.app();
    }

    @Override
    public void close() {
        try {
            pg.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void stopOrphan(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent() && p.get().info().command().map(c -> c.contains("postgres")).orElse(false)) {
            LOG.warning("stopping postgres " + pid + " left running on " + dataDir + " by an earlier run");
            p.get().destroy();
            try {
                p.get().onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.get().destroyForcibly();
            }
        }
        Files.deleteIfExists(pidFile);
    }
}
