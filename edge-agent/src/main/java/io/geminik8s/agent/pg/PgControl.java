package io.geminik8s.agent.pg;

import io.geminik8s.agent.proc.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * One node's PostgreSQL for a physical-replication pair: create the primary, clone a standby with pg_basebackup,
 * synchronous standby on/off, promote, fence (stopped at once), rejoin an old primary with pg_rewind.
 *
 * <p>The postmaster runs as a child of this process ({@link Postmaster}). Node-specific settings are given on the
 * command line, so base backups and rewinds copy postgresql.conf unchanged. Commands run as {@code osUser} when
 * this process is root (PostgreSQL refuses to run as root).
 */
public final class PgControl implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PgControl.class.getName());
    public static final Path DEBIAN_15 = Path.of("/usr/lib/postgresql/15/bin");
    public static final String REPLICATION_USER = "gk8s_repl";
    /** K3s's datastore role and database (with a secret): {@code postgres://kine:<password>@<VIP>:5432/kine}. */
    public static final String KINE_USER = "kine";
    /**
     * What a point-in-time restore (pgBackRest's) writes into postgresql.auto.conf: removed from a restored primary
     * once it is promoted (io.geminik8s.agent.backup.BackupRestore), and from every copy a standby takes
     * ({@link PgStandby}), which may be made before that: with {@code recovery_target_time} (passed) and
     * {@code recovery_target_action = promote} a standby promotes itself at its first replayed commit — a second
     * writer (RestorePairTest and RebuildPairTest saw exactly that).
     */
    public static final List<String> RECOVERY_SETTINGS = List.of("restore_command", "recovery_target",
            "recovery_target_lsn", "recovery_target_name", "recovery_target_time", "recovery_target_xid",
            "recovery_target_inclusive", "recovery_target_action", "recovery_target_timeline");
    /**
     * Seconds a PostgreSQL tool may take to connect: without it pg_basebackup and pg_rewind against a partitioned
     * peer wait out the kernel's SYN retries (about 127 s).
     */
    static final int CONNECT_TIMEOUT_S = 5;

    final Path bin;
    final Path data;
    final String host;
    final int port;
    final String name;
    final String osUser;
    private final ProcessRunner runner;
    private String listen;
    private PgSecret secret;
    private String clientNetwork;
    private boolean tls;
    /** PostgreSQL's Unix socket folder, or null for none (pgBackRest talks to PostgreSQL only through one). */
    private Path socketDir;
    private final Object tlsLock = new Object();
    /** A new key or certificate is in place but the server has not reloaded it yet. */
    private volatile boolean reloadPending;
    private final Postmaster postmaster = new Postmaster(this);
    /** Fences begun on this node (counted first): a start that a fence overlapped kills what it started. */
    private final java.util.concurrent.atomic.AtomicLong fences = new java.util.concurrent.atomic.AtomicLong();

    /** {@code name} is this node's application_name in the peer's synchronous_standby_names. */
    public PgControl(Path bin, Path data, String host, int port, String name, String osUser) {
        this(bin, data, host, port, name, osUser, new ProcessRunner());
    }

    public PgControl(Path bin, Path data, String host, int port, String name, String osUser, ProcessRunner runner) {
        this.runner = runner;
        this.bin = bin;
        this.data = data;
        this.host = host;
        this.port = port;
        this.name = name;
        this.osUser = osUser;
        this.listen = host;
    }

    /**
     * Listen on these addresses too, e.g. {@code "10.0.0.11,10.0.0.10"} with the site's VIP: with
     * net.ipv4.ip_nonlocal_bind=1 PostgreSQL can bind the VIP before this node holds it.
     */
    public PgControl listenOn(String addresses) {
        this.listen = addresses;
        return this;
    }

    /**
     * Every TCP connection proves a SCRAM password derived from the site's {@code secret}, and only from
     * {@code clientNetwork} (a CIDR, or {@code samenet}: the subnets this host is on) besides loopback.
     */
    public PgControl withSecret(PgSecret secret, String clientNetwork) {
        this.secret = secret;
        this.clientNetwork = clientNetwork;
        return this;
    }

    /**
     * TLS with PostgreSQL's own key and self-signed certificate ({@link PgTls}), clients binding SCRAM to it. Needs
     * a secret: the rules that require TLS are the password rules.
     */
    public PgControl withTls(boolean on) {
        this.tls = on;
        return this;
    }

    /**
     * A Unix socket in {@code dir} (made 0700, the server's OS user's) besides TCP, and a {@code local} rule for the
     * superuser's SCRAM password: pgBackRest reaches PostgreSQL only through a socket (docs/backup.md).
     */
    public PgControl withSocketDirectory(Path dir) {
        this.socketDir = dir;
        return this;
    }

    Path socketDirectory() {
        return socketDir;
    }

    /**
     * A server of the same kind (binaries, OS user, secret, TLS, runner) on another data directory, listening on
     * loopback only at {@code port}: a restore test's scratch copy (io.geminik8s.agent.backup.RestoreTest).
     */
    public PgControl scratch(Path scratchData, int scratchPort, String scratchName) {
        PgControl s = new PgControl(bin, scratchData, "127.0.0.1", scratchPort, scratchName, osUser, runner);
        s.secret = secret;
        s.clientNetwork = "127.0.0.1/32";
        s.tls = tls;
        return s;
    }

    /** The server's OS user (null: this process's own). */
    public String osUser() {
        return osUser;
    }

    public Path dataDirectory() {
        return data;
    }

    public int port() {
        return port;
    }

    /**
     * {@code cmd} run as the server's OS user (when this process is root) with libpq's password file and connect
     * timeout, through the agent's one process runner; the result, never thrown.
     */
    public ProcessRunner.Result tool(Duration timeout, List<String> cmd) {
        Map<String, String> env = secret == null
                ? Map.of("PGCONNECT_TIMEOUT", Integer.toString(CONNECT_TIMEOUT_S))
                : Map.of("PGCONNECT_TIMEOUT", Integer.toString(CONNECT_TIMEOUT_S), "PGPASSFILE", passfile().toString());
        return runner.run(timeout, asUser(cmd), env);
    }

    /**
     * A long-running {@code cmd} (pgBackRest's TLS server) started as the server's OS user with the same password
     * file as {@link #tool}; the caller stops it with {@link ProcessRunner#killTree}.
     */
    public Process spawnTool(List<String> cmd) {
        return runner.spawn(asUser(cmd), secret == null ? Map.of() : Map.of("PGPASSFILE", passfile().toString()));
    }

    /**
     * The periodic check: a key and certificate near expiry are made anew, and a reload that did not happen (the
     * server was down, or refused) is tried again. True when the server took something new. Never throws.
     */
    public boolean checkTls() {
        if (!tls || data == null) {
            return false;
        }
        synchronized (tlsLock) {
            try {
                if (PgTls.ensure(this)) {
                    reloadPending = true;
                }
            } catch (RuntimeException e) {
                LOG.warning(name + ": PostgreSQL's TLS key and certificate not renewed: " + e.getMessage());
            }
            return reloadIfPending();
        }
    }

    /**
     * The node's certificate was rotated: PostgreSQL gets a new key and certificate too, and reloads (new
     * connections see them at once; a live one keeps its session). Throws when the server could not take them
     * (they are then reloaded at its next start, or by {@link #checkTls()}).
     */
    public String rotateTls() {
        if (!tls || data == null) {
            return "PostgreSQL TLS off";
        }
        synchronized (tlsLock) {
            PgTls.rotate(this);
            reloadPending = true;
            if (!reloadIfPending() && pid().isPresent()) {
                throw new IllegalStateException("PostgreSQL's new TLS certificate is in place but the server did not"
                        + " reload it (retried every 10 s)");
            }
            return "PostgreSQL TLS key and certificate replaced" + (pid().isPresent() ? ", reloaded" : "");
        }
    }

    /** Reloads if something new waits and the server runs; true when it reloaded. */
    private boolean reloadIfPending() {
        if (!reloadPending || pid().isEmpty()) {
            return false;
        }
        try {
            sql("SELECT pg_reload_conf()");
            reloadPending = false;
            LOG.info(name + ": PostgreSQL reloaded its new TLS key and certificate");
            return true;
        } catch (RuntimeException e) {
            LOG.warning(name + ": PostgreSQL did not reload its new TLS certificate (tried again in 10 s): "
                    + e.getMessage());
            return false;
        }
    }

    /** libpq's TLS options for a connection of this node's tools to a peer, or "" without TLS. */
    String tlsOptions() {
        return tls ? PgTls.clientOptions(this) : "";
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    private String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /**
     * initdb with data checksums (pg_rewind needs them, or wal_log_hints in the control file, which a crash
     * recovery run by pg_rewind would reset), trust on loopback (tests; production uses scram), start.
     */
    public void initPrimary() {
        initPrimary(null);
    }

    /**
     * As {@link #initPrimary()}. With a secret ({@link #withSecret}) every connection proves its role's password
     * and {@code trustedCidr} must be null; without one, {@code trustedCidr} (the site LAN) is trusted without a
     * password — for test setups only.
     */
    public void initPrimary(String trustedCidr) {
        if (tls && secret == null) {
            throw new IllegalStateException("TLS for PostgreSQL needs the site's database secret (pg.secret-file)");
        }
        if (secret != null) {
            if (trustedCidr != null) {
                throw new IllegalArgumentException("a trusted network and a database secret exclude each other");
            }
            PgAuth.initdb(this, secret, clientNetwork, tls);
            start();
            sql("CREATE ROLE " + REPLICATION_USER + " WITH REPLICATION LOGIN PASSWORD '"
                    + secret.password(REPLICATION_USER) + "'");
            // K3s's datastore (Kine): its own role and database, no superuser password in K3s's configuration
            sql("CREATE ROLE " + KINE_USER + " WITH LOGIN PASSWORD '" + secret.password(KINE_USER) + "'");
            sql("CREATE DATABASE " + KINE_USER + " OWNER " + KINE_USER);
            return;
        }
        run(Duration.ofSeconds(60), bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres",
                "--auth-local=trust", "--auth-host=trust", "-E", "UTF8", "--data-checksums", "--no-instructions");
        if (trustedCidr != null) {
            try {
                Files.writeString(data.resolve("pg_hba.conf"), "host all all " + trustedCidr + " trust\n"
                        + "host replication all " + trustedCidr + " trust\n", java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        start();
        sql("CREATE ROLE " + REPLICATION_USER + " WITH REPLICATION LOGIN");
    }

    /**
     * A standby of {@code primary} on a fresh copy ({@link PgStandby#cloneFrom}): the data directory is replaced
     * only once the copy is complete; a failed backup throws and leaves it as it was.
     */
    public void cloneFrom(PgControl primary) {
        new PgStandby(this).cloneFrom(primary);
    }

    /**
     * A standby of {@code primary} restored from a backup repository by {@code restore} ({@link PgStandby#restoreFrom};
     * io.geminik8s.agent.backup.BackupRestore#rebuildStandby): the primary sends only the WAL since that backup.
     */
    public void restoreStandbyFrom(PgControl primary, Runnable restore) {
        new PgStandby(this).restoreFrom(primary, restore);
    }

    /** At start, before anything looks at the data directory: a re-clone cut short by a crash is undone. */
    public void recoverInterruptedClone() {
        DataSwap.recover(data);
    }

    /** The old primary rejoins {@code newPrimary} as its standby: rewind, standby config, start. */
    public void rewindFrom(PgControl newPrimary) {
        new PgStandby(this).rewindFrom(newPrimary);
    }

    public void setSynchronousStandby(String standbyName) {
        sql("ALTER SYSTEM SET synchronous_standby_names = '" + standbyName + "'");
        sql("SELECT pg_reload_conf()");
    }

    public void clearSynchronousStandby() {
        sql("ALTER SYSTEM RESET synchronous_standby_names");
        sql("SELECT pg_reload_conf()");
    }

    /**
     * Promote this standby. synchronous_standby_names is cleared first: a promoted standby would otherwise wait
     * forever for a synchronous standby that no longer exists (stack.md).
     */
    public void promote() {
        run(Duration.ofSeconds(60), bin.resolve("pg_ctl").toString(), "promote", "-w", "-t", "60", "-D",
                data.toString());
        clearSynchronousStandby();
        sql("ALTER SYSTEM RESET default_transaction_read_only");
        sql("SELECT pg_reload_conf()");
    }

    /**
     * Fence: PostgreSQL stops at once, so it commits nothing, whatever a client sets ({@code SET
     * default_transaction_read_only = off}, {@code SET synchronous_commit = local}, {@code BEGIN READ WRITE}).
     * Nothing is asked of the server, so a hung or frozen one is fenced as fast as a healthy one: its whole process
     * tree is SIGKILLed, backends before the postmaster (a dead backend acknowledges no commit), then any postgres
     * still named in postmaster.pid. The read-only default is then written into postgresql.auto.conf, so whatever
     * starts this data directory again starts it refusing writes until {@link #unfence()} or a rejoin. Idempotent;
     * takes no lock, so a start or restart in progress cannot hold it up. The data is left as after a power cut:
     * the next start runs crash recovery, pg_rewind runs it itself.
     */
    public void fence() {
        long t0 = System.nanoTime();
        fences.incrementAndGet();
        try {
            postmaster.kill();
        } finally { // also when a wait for a killed process gave up: every kill was sent, the default is still due
            try {
                writeReadOnlyDefault();
            } catch (RuntimeException e) {
                LOG.warning(name + ": fenced (stopped), but the read-only default could not be written: "
                        + e.getMessage());
            }
        }
        LOG.info(name + ": fenced, PostgreSQL stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /** Whether the server answers a trivial query within about {@code timeoutSeconds}. Never throws. */
    public boolean answers(int timeoutSeconds) {
        Properties p = new Properties();
        p.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        p.setProperty("socketTimeout", Integer.toString(timeoutSeconds));
        try (Connection c = connect(p); Statement st = c.createStatement(); var rs = st.executeQuery("SELECT 1")) {
            return rs.next();
        } catch (SQLException e) {
            return false;
        }
    }

    /** A server that stopped answering: kill it (all its processes) and start it again on the same data. */
    public synchronized void restart() {
        kill();
        start();
    }

    /**
     * Undo {@link #fence()}: writes allowed again (the hub confirmed this node still holds its epoch). A server the
     * fence stopped is started first (crash recovery), still refusing writes until the reset.
     */
    public synchronized void unfence() {
        long before = fences.get();
        try {
            if (pid().isEmpty()) {
                writeReadOnlyDefault();
                start(() -> fences.get() == before); // a fence before the spawn prevents it, one after kills it
            }
        } catch (RuntimeException e) {
            if (fences.get() != before) {
                throw e instanceof FencedWhileStarting f ? f : new FencedWhileStarting(name
                        + ": fenced while PostgreSQL started (" + e.getMessage() + ")", e);
            }
            throw e;
        }
        if (fences.get() != before) { // fenced after the start: the fence killed what it found; again, to be sure
            postmaster.kill();
            throw new FencedWhileStarting(name + ": fenced while PostgreSQL started; not writable", null);
        }
        sql("ALTER SYSTEM RESET default_transaction_read_only");
        sql("SELECT pg_reload_conf()");
    }

    /** Whether the standby named {@code standbyName} streams from this server. Never throws: false when unsure. */
    public boolean streamingTo(String standbyName) {
        try (Connection c = connect(); var st = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_replication WHERE application_name = ? AND state = 'streaming'")) {
            st.setQueryTimeout(2);
            st.setString(1, standbyName);
            try (var rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * The standby {@code standbyName} as this server sees it, in one query; {@link StandbyStatus#UNSURE} when the
     * server does not answer within 2 s. Never throws. Named: synchronous_standby_names is exactly its name, as
     * {@link #setSynchronousStandby} sets it.
     */
    public StandbyStatus standbyStatus(String standbyName) {
        try (Connection c = connect(); var st = c.prepareStatement("SELECT coalesce(bool_or(state = 'streaming'), false),"
                + " current_setting('synchronous_standby_names') IN (?, '\"' || ? || '\"'),"
                + " coalesce(bool_or(state = 'streaming' AND sync_state = 'sync'), false)"
                + " FROM pg_stat_replication WHERE application_name = ?")) {
            st.setQueryTimeout(2);
            st.setString(1, standbyName);
            st.setString(2, standbyName);
            st.setString(3, standbyName);
            try (var rs = st.executeQuery()) {
                rs.next();
                return new StandbyStatus(true, rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3));
            }
        } catch (SQLException e) {
            return StandbyStatus.UNSURE;
        }
    }

    /** Standby side: whether this server's WAL receiver streams from its primary. Never throws: false when unsure. */
    public boolean receiving() {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.setQueryTimeout(2);
            try (var rs = st.executeQuery("SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'")) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        } catch (SQLException e) {
            return false;
        }
    }

    /** The best {@code sync_state} among this primary's standbys ({@code sync}, {@code async}...), or {@code none}. */
    public String synchronousState() {
        return (String) scalar("SELECT coalesce(max(sync_state), 'none') FROM pg_stat_replication");
    }

    /**
     * When pg_rewind cannot help (diverged too far, WAL gone): a fresh base backup from {@code primary}, the old
     * data kept until the new copy is complete. Throws when the backup fails; the old data is then untouched.
     */
    public void recloneFrom(PgControl primary) {
        stop();
        cloneFrom(primary);
    }

    /** Whether the data directory is a standby's (standby.signal): it starts in recovery, refusing every write. */
    public boolean standbyData() {
        return Files.exists(data.resolve("standby.signal"));
    }

    public boolean inRecovery() {
        return (Boolean) scalar("SELECT pg_is_in_recovery()");
    }

    /** The one value a query returns. */
    private Object scalar(String query) {
        try (Connection c = connect(); Statement st = c.createStatement(); var rs = st.executeQuery(query)) {
            rs.next();
            return rs.getObject(1);
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + query + ": " + e.getMessage(), e);
        }
    }

    public void sql(String statement) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + statement + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code statement} in each of {@code databases} that has what it names (a missing database or table is
     * skipped: Kine lives in {@code kine} where the site has a secret, in {@code postgres} in older setups); throws
     * when it ran in none, or failed otherwise.
     */
    public void sqlWhereFound(List<String> databases, String statement) {
        int ran = 0;
        for (String db : databases) {
            Properties p = new Properties();
            p.setProperty("loginTimeout", "3");
            p.setProperty("socketTimeout", "20");
            try (Connection c = connect(p, db); Statement st = c.createStatement()) {
                st.execute(statement);
                ran++;
            } catch (SQLException e) {
                if (!"3D000".equals(e.getSQLState()) && !"42P01".equals(e.getSQLState())) { // no such database, table
                    throw new IllegalStateException(name + ": " + statement + " in " + db + ": " + e.getMessage(), e);
                }
            }
        }
        if (ran == 0) {
            throw new IllegalStateException(name + ": " + statement + ": in none of " + databases);
        }
    }

    /** A connection whose login and every round trip are bounded: a frozen server cannot hang the agent. */
    public Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("loginTimeout", "3");
        p.setProperty("socketTimeout", "20");
        return connect(p);
    }

    private Connection connect(Properties p) throws SQLException {
        return connect(p, "postgres");
    }

    private Connection connect(Properties p, String database) throws SQLException {
        p.setProperty("user", PgSecret.SUPERUSER);
        if (secret != null) {
            p.setProperty("password", secret.password(PgSecret.SUPERUSER));
        }
        if (tls) { // the site network only over TLS, and the password exchange bound to the server's certificate
            p.setProperty("sslmode", "require");
            p.setProperty("channelBinding", "require");
        }
        p.setProperty("connectTimeout", "3");
        p.setProperty("ApplicationName", "gk8s-agent");
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    /** The postmaster's process id while this object runs it. */
    public java.util.OptionalLong pid() {
        return postmaster.pid();
    }

    /** Starts the postmaster as a child process and waits until it accepts connections. */
    public synchronized void start() {
        start(() -> true);
    }

    /** As {@link #start()}, spawning only while {@code mayStart} holds (see {@link Postmaster#start(List,
     * java.util.function.BooleanSupplier)}). */
    private void start(java.util.function.BooleanSupplier mayStart) {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("postgres").toString(), "-D", data.toString(),
                "-c", "port=" + port, "-c", "listen_addresses=" + listen,
                "-c", "unix_socket_directories=" + (socketDir == null ? "" : socketDir),
                "-c", "wal_level=replica", "-c", "wal_log_hints=on", "-c", "hot_standby=on",
                "-c", "max_wal_senders=5", "-c", "max_replication_slots=5", "-c", "synchronous_commit=on",
                "-c", "cluster_name=" + name));
        if (socketDir != null) {
            try {
                PgAuth.privateDirectory(this, socketDir);
            } catch (IOException e) {
                throw new UncheckedIOException(name + ": cannot make the socket folder " + socketDir, e);
            }
        }
        if (secret != null) {
            PgAuth.refreshHba(this, clientNetwork, tls);
        }
        if (tls) {
            synchronized (tlsLock) {
                PgTls.ensure(this);
                reloadPending = false; // the server starts with what is there
            }
            cmd.addAll(PgTls.serverSettings(this));
        }
        postmaster.start(asUser(cmd), mayStart);
    }

    /**
     * Starts with writes refused from the first moment (the fence is written into postgresql.auto.conf before the
     * postmaster starts): for a node that may have been primary before it went down. {@link #unfence()} or a
     * promotion lifts it.
     */
    public synchronized void startFenced() {
        writeReadOnlyDefault();
        start();
    }

    /** default_transaction_read_only = on in postgresql.auto.conf (read at the postmaster's next start). */
    private void writeReadOnlyDefault() {
        Path auto = data.resolve("postgresql.auto.conf");
        try {
            List<String> lines = new ArrayList<>(Files.readAllLines(auto));
            lines.removeIf(l -> l.trim().startsWith("default_transaction_read_only"));
            lines.add("default_transaction_read_only = 'on'");
            Files.write(auto, lines); // an existing file keeps its owner (postgres)
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot write the fence into " + auto, e);
        }
    }

    /** Power-off: SIGKILL the whole process tree. */
    public synchronized void kill() {
        postmaster.kill();
    }

    /** Clean shutdown (fast mode), if running. */
    public void stop() {
        postmaster.stop();
    }

    @Override
    public void close() {
        if (postmaster.alive()) {
            kill();
        }
    }

    private List<String> asUser(List<String> cmd) {
        if (osUser == null || !isRoot()) {
            return cmd;
        }
        List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=" + osUser, "--regid=" + osUser, "--init-groups",
                "--"));
        out.addAll(cmd);
        return out;
    }

    /**
     * libpq's password file for this node's tools and its standby connection, {@code null} without a secret
     * ({@link PgAuth#passfile}).
     */
    Path passfile() {
        return secret == null ? null : PgAuth.passfile(this, secret);
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** A command that must succeed within {@code timeout}; PostgreSQL's tools get a connect timeout. */
    void run(Duration timeout, String... cmd) {
        boolean chown = cmd[0].equals("chown"); // run as root, and needs no password (it writes the password file)
        List<String> full = chown ? List.of(cmd) : asUser(List.of(cmd));
        Map<String, String> env = secret == null || chown
                ? Map.of("PGCONNECT_TIMEOUT", Integer.toString(CONNECT_TIMEOUT_S))
                : Map.of("PGCONNECT_TIMEOUT", Integer.toString(CONNECT_TIMEOUT_S), "PGPASSFILE", passfile().toString());
        ProcessRunner.Result r = runner.run(timeout, full, env);
        if (!r.ok()) {
            throw new IllegalStateException(name + ": " + r.describe());
        }
    }
}
