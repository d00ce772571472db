package io.geminik8s.agent.backup;

import io.geminik8s.agent.pg.PgArchive;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.protocol.BackupSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The second repository of a site, on the standby's disk (docs/backup.md, "The peer repository"): this node's
 * pgBackRest TLS server kept running, the site CA and this node's certificate ({@link PeerTls}), the three files of
 * {@link PeerRepoConf}, and the commands run against the repository from here. Driven by {@link BackupService} on
 * the backup thread; the server is this agent's child, stopped by PID (also one an earlier, killed agent left).
 */
public final class PeerRepository implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PeerRepository.class.getName());

    /**
     * One node as pgBackRest reaches it: its id (the certificate's CN), address, TLS port (0: the template's) and its
     * PostgreSQL (data directory, port, socket folder — the peer's are named by the client, not read by the server).
     */
    public record Side(String node, String host, int tlsPort, Path pgData, int pgPort, Path socketDir) {
        Side withPort(int port) {
            return tlsPort > 0 ? this : new Side(node, host, port, pgData, pgPort, socketDir);
        }

        /** Every value lands in a pgBackRest ini file: nothing that could start a line, a section or a value. */
        void check() {
            for (String v : new String[] {node, host, String.valueOf(pgData), String.valueOf(socketDir)}) {
                if (v == null || !v.matches("[A-Za-z0-9._:/-]{1,200}")) {
                    throw new IllegalStateException("a node id, host or path unfit for pgBackRest's files: '"
                            + String.valueOf(v).replaceAll("[^\\x20-\\x7e]", "?") + "'");
                }
            }
        }
    }

    private final PgControl pg;
    private final PgArchive files;
    private final String stanza;
    private final Path home;
    private final Side self;
    private final Side peer;
    private final String binary;
    private PeerRepoConf conf;
    private Process server;

    public PeerRepository(PgBackRest tool, Side self, Side peer) {
        this(tool, self, peer, PgBackRest.BINARY);
    }

    PeerRepository(PgBackRest tool, Side self, Side peer, String binary) {
        this.pg = tool.database();
        this.files = new PgArchive(pg);
        this.stanza = tool.stanza();
        this.home = tool.home();
        this.self = self;
        this.peer = peer;
        this.binary = binary;
    }

    /**
     * Certificates and files as {@code spec} says, and the server running with them (restarted when they changed
     * or it died). True when a file changed.
     */
    public synchronized boolean configure(BackupSpec spec, String cipherPass, String centralCipherPass,
                                          String caSeed) {
        BackupSpec.PeerRepository repo = spec.peer().orElseThrow();
        self.check();
        peer.check();
        conf = new PeerRepoConf(stanza, home, self.withPort(repo.port()), peer.withPort(repo.port()));
        boolean changed = PeerTls.ensure(conf.tlsDir(), caSeed, self.node(), self.host(), PeerTls.FileWriter.of(files));
        for (String d : List.of("lock-server", "lock-push", "lock-repo", "spool-push", "spool-repo", "log")) {
            files.privateDirectory(home.resolve(d));
        }
        changed |= write(conf.file("server"), conf.server());
        changed |= write(conf.file("push"), conf.push(repo, cipherPass));
        changed |= write(conf.file("repo"), conf.repo(spec, cipherPass));
        changed |= write(conf.file("restore"), conf.restore(spec, cipherPass, centralCipherPass));
        if (changed || server == null || !server.isAlive()) {
            restartServer();
        } else if (!answers()) {
            LOG.warning("backup: pgBackRest's TLS server (pid " + server.pid() + ") does not answer a TLS handshake"
                    + " within " + HANDSHAKE_TIMEOUT_MS + " ms: started anew");
            restartServer();
        }
        return changed;
    }

    /** How long this node's own server may take to answer a TLS handshake before it counts as hung. */
    static final int HANDSHAKE_TIMEOUT_MS = 5_000;

    /**
     * Whether this node's server answers a TLS handshake (alive but stopped — a hung disk under it, SIGSTOP — it
     * accepts connections and never answers, and the primary takes it out of archive_command). No client
     * certificate is shown: only the peer's is admitted, and any answer, a refusal too, proves the server runs.
     */
    private boolean answers() {
        try {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (var in = java.nio.file.Files.newInputStream(PeerTls.files(conf.tlsDir()).ca())) {
                trust.setCertificateEntry("site-ca", java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in));
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            try (java.net.Socket raw = new java.net.Socket()) {
                raw.connect(new java.net.InetSocketAddress(conf.self().host(), conf.self().tlsPort()),
                        HANDSHAKE_TIMEOUT_MS);
                raw.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
                try (javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket(raw,
                        conf.self().host(), conf.self().tlsPort(), false)) {
                    tls.startHandshake();
                }
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException | java.security.GeneralSecurityException e) {
            return true; // refused, reset or not trusted: something answered
        }
    }

    /** How long a failed push to the peer keeps the next ones from trying (they would each wait its timeouts). */
    static final int PUSH_PAUSE_S = 60;

    /**
     * What the primary's archive_command runs after the central push; it never fails the command. A push that fails
     * touches a marker, and for {@link #PUSH_PAUSE_S} after it no push is tried: a peer that hangs or is powered off
     * costs one segment a minute its timeouts, even while the backup thread — whose tick takes the peer out of the
     * command — is busy with a backup of hours, and on a promoted standby that inherited this command. ({@code %%} is
     * PostgreSQL's escape for {@code %}.)
     */
    public String pushCommand() {
        String marker = home.resolve("peer-push-failed").toString();
        return "if [ -e " + marker + " ] && [ $(( $(date +%%s) - $(stat -c %%Y " + marker + ") )) -lt " + PUSH_PAUSE_S
                + " ]; then :; else " + binary + " --config=" + home.resolve("peer-push.conf") + " --stanza=" + stanza
                + " archive-push %p || touch " + marker + "; fi";
    }

    /**
     * Whether the peer's server answers for this site's stanza now: empty when it does (the stanza may not exist
     * yet), else why not. {@code pgbackrest info} with the push's file and its short timeouts (a server that
     * accepts and never answers is given up on in seconds).
     */
    public Optional<String> reachable() {
        ProcessRunner.Result r = pg.tool(Duration.ofSeconds(30), List.of(binary, "--config=" + home.resolve(
                "peer-push.conf"), "--stanza=" + stanza, "info", "--output=json"));
        if (!r.ok()) {
            return Optional.of(r.describe());
        }
        // pgBackRest reports a repository it cannot reach as status 99 ("other") and still exits 0
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"code\":99,[^}]*\"message\":\"([^\"]*)")
                .matcher(r.stdout());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The peer answered: pushes are tried again at once, not only after the pause a failed one began. */
    void resumePushes() {
        try {
            java.nio.file.Files.deleteIfExists(home.resolve("peer-push-failed"));
        } catch (IOException e) {
            LOG.warning("backup: cannot remove " + home.resolve("peer-push-failed") + ": " + e.getMessage());
        }
    }

    /** The server's process, if running (tests kill it the way a crash would). */
    public synchronized Optional<ProcessHandle> server() {
        return server != null && server.isAlive() ? Optional.of(server.toHandle()) : Optional.empty();
    }

    ProcessRunner.Result stanzaCreate() {
        return run(PgBackRest.COMMAND_TIMEOUT, "stanza-create");
    }

    /** A backup into the local repository, its files copied from this standby's replica ({@code backup-standby}). */
    ProcessRunner.Result backup(BackupType type) {
        return run(PgBackRest.BACKUP_TIMEOUT, "backup", "--type=" + type.option());
    }

    BackupInfo info() {
        ProcessRunner.Result r = run(PgBackRest.COMMAND_TIMEOUT, "info", "--output=json");
        return r.ok() ? BackupInfo.parse(r.stdout(), stanza) : new BackupInfo(false, r.describe(), null, null, null,
                null, 0, null, 0);
    }

    /**
     * The local repository's newest backup restored as this node's standby data (PostgreSQL stopped): no network
     * for the bulk, the fast restore this repository is for. The central repository is the second one of its file,
     * so WAL the peer repository missed (its peer was away or hung) is read from there.
     */
    public ProcessRunner.Result restoreStandby() {
        return pg.tool(PgBackRest.BACKUP_TIMEOUT, List.of(binary, "--config=" + home.resolve("peer-restore.conf"),
                "--stanza=" + stanza, "restore", "--delta", "--type=standby"));
    }

    private ProcessRunner.Result run(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary, "--config=" + home.resolve("peer-repo.conf"),
                "--stanza=" + stanza));
        cmd.addAll(List.of(args));
        return pg.tool(timeout, cmd);
    }

    private boolean write(Path file, String text) {
        return files.privateFileIfChanged(file, text);
    }

    private void restartServer() {
        stopServer();
        Path pidFile = home.resolve("peer-server.pid");
        stopLeftOver(pidFile);
        server = pg.spawnTool(List.of(binary, "--config=" + home.resolve("peer-server.conf"), "server"));
        try {
            server.getOutputStream().close(); // nothing is ever written to it
        } catch (IOException e) {
            // already closed
        }
        files.privateFile(pidFile, Long.toString(server.pid()));
        try {
            if (server.waitFor(1, java.util.concurrent.TimeUnit.SECONDS)) { // a port taken, a key it cannot load
                int code = server.exitValue();
                server = null;
                throw new IllegalStateException("pgBackRest's TLS server exited at once (exit " + code + "; its log"
                        + " is in " + home.resolve("log") + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info(() -> "backup: pgBackRest's TLS server started for the peer repository on " + conf.self().host()
                + ":" + conf.self().tlsPort() + " (pid " + server.pid() + ")");
    }

    /** A server an earlier agent started and could not stop (killed): found by its PID file and command line. */
    private void stopLeftOver(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).strip());
            ProcessHandle.of(pid).filter(h -> h.info().commandLine().map(c -> c.contains(home.resolve(
                    "peer-server.conf").toString())).orElse(false)).ifPresent(h -> ProcessRunner.killTree(h,
                    Duration.ofSeconds(5)));
        } catch (IOException | NumberFormatException e) {
            // none recorded
        }
    }

    private void stopServer() {
        if (server != null) {
            ProcessRunner.killTree(server.toHandle(), Duration.ofSeconds(5));
            server = null;
        }
    }

    /** Stops this agent's server, and one an earlier agent left behind. */
    @Override
    public synchronized void close() {
        stopServer();
        stopLeftOver(home.resolve("peer-server.pid"));
    }
}
