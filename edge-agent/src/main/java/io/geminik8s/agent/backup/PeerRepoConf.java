package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import java.nio.file.Path;

/**
 * The texts of a node's three pgBackRest files for the peer repository (pure; docs/backup.md, "The peer
 * repository"). The repository lives on whichever node is the standby; pgBackRest's TLS server runs on both:
 * <ul>
 *   <li>{@code peer-server.conf}: this node's {@code pgbackrest server}, which lets in only the peer's certificate
 *       (CN = the peer's node id, signed by the site CA) and only for this site's stanza;</li>
 *   <li>{@code peer-push.conf}: used by the primary's {@code archive_command} after the central push — the peer's
 *       repository reached through the peer's server, with short timeouts so a peer that hangs delays each
 *       segment by seconds ({@link #PUSH_TIMEOUT_S}), not the minutes of pgBackRest's defaults;</li>
 *   <li>{@code peer-repo.conf}: used on the standby, whose disk holds the repository: its backups read the primary
 *       through the primary's server and copy the files from the standby's own replica ({@code backup-standby});
 *       its timeouts are short enough that a primary lost mid-backup frees the backup thread in minutes, not the
 *       half hour of pgBackRest's defaults (a promotion waits for that thread to rewrite archive_command);</li>
 *   <li>{@code peer-restore.conf}: the standby's data restored from that repository, with the central one second,
 *       so the restored standby's {@code archive-get} finds there what the peer repository missed.</li>
 * </ul>
 * Each command has its own lock and spool folders, so the central and the peer repository never wait for each other.
 */
record PeerRepoConf(String stanza, Path home, PeerRepository.Side self, PeerRepository.Side peer) {

    /**
     * How long the primary's push waits for any one answer of the peer's server. pgBackRest's defaults (a 60 s read,
     * a 1,830 s protocol timeout) held a push to a peer that accepts and never answers for minutes (measured: over
     * 120 s); with these it gives up after two tries of {@value} s each (measured: 6.1 s), and a slow peer disk
     * that needs longer misses a segment in the peer repository, never in the central one.
     */
    static final int PUSH_TIMEOUT_S = 3;

    Path tlsDir() {
        return home.resolve("tls");
    }

    String server() {
        PeerTls.Files3 tls = PeerTls.files(tlsDir());
        return header() + "[global]\n"
                + "tls-server-address=" + self.host() + "\n"
                + "tls-server-port=" + self.tlsPort() + "\n"
                + "tls-server-cert-file=" + tls.cert() + "\n"
                + "tls-server-key-file=" + tls.key() + "\n"
                + "tls-server-ca-file=" + tls.ca() + "\n"
                + "tls-server-auth=" + peer.node() + "=" + stanza + "\n"
                // a line per connection at info: the agent's own check every minute would grow the file forever
                + files("server").replace("log-level-console=warn", "log-level-console=off")
                .replace("log-level-file=info", "log-level-file=warn");
    }

    String push(BackupSpec.PeerRepository repo, String cipherPass) {
        return header() + "[global]\n" + remote("repo1", peer) + repository(repo, cipherPass)
                + files("push")
                + "[global:info]\nio-timeout=" + PUSH_TIMEOUT_S + "\nprotocol-timeout=" + PUSH_TIMEOUT_S + "\n"
                + "[global:archive-push]\nio-timeout=" + PUSH_TIMEOUT_S + "\nprotocol-timeout=" + PUSH_TIMEOUT_S
                + "\ndb-timeout=" + (PUSH_TIMEOUT_S - 1) + "\n"
                + "[" + stanza + "]\n" + local("pg1", self);
    }

    String repo(BackupSpec spec, String cipherPass) {
        StringBuilder b = new StringBuilder(header()).append("[global]\n")
                .append(repository(spec.peer().orElseThrow(), cipherPass));
        for (String o : BackupPlanner.retentionOptions(spec)) {
            b.append(o).append('\n');
        }
        b.append("start-fast=y\nbackup-standby=y\narchive-timeout=60\n").append(files("repo"));
        b.append("db-timeout=60\nprotocol-timeout=90\n");
        b.append('[').append(stanza).append("]\n").append(remote("pg1", peer)).append(local("pg1", peer))
                .append(local("pg2", self));
        return b.toString();
    }

    String restore(BackupSpec spec, String cipherPass, String centralCipherPass) {
        return header() + "[global]\n" + repository(spec.peer().orElseThrow(), cipherPass)
                + "repo2-path=" + spec.repositoryPath() + "\nrepo2-cipher-type=aes-256-cbc\nrepo2-cipher-pass="
                + centralCipherPass + "\n" + files("repo") + "[" + stanza + "]\n" + local("pg1", self);
    }

    Path file(String which) {
        return home.resolve("peer-" + which + ".conf");
    }

    private String remote(String option, PeerRepository.Side to) {
        PeerTls.Files3 tls = PeerTls.files(tlsDir());
        return option + "-host=" + to.host() + "\n"
                + option + "-host-type=tls\n"
                + option + "-host-port=" + to.tlsPort() + "\n"
                + option + "-host-cert-file=" + tls.cert() + "\n"
                + option + "-host-key-file=" + tls.key() + "\n"
                + option + "-host-ca-file=" + tls.ca() + "\n";
    }

    private static String repository(BackupSpec.PeerRepository repo, String cipherPass) {
        return "repo1-path=" + repo.path() + "\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=" + cipherPass + "\n";
    }

    private static String local(String option, PeerRepository.Side node) {
        return option + "-path=" + node.pgData() + "\n"
                + option + "-port=" + node.pgPort() + "\n"
                + option + "-socket-path=" + node.socketDir() + "\n"
                + option + "-user=postgres\n";
    }

    private String files(String which) {
        return "lock-path=" + home.resolve("lock-" + which) + "\n"
                + "log-path=" + home.resolve("log") + "\n"
                + "spool-path=" + home.resolve("spool-" + which) + "\n"
                + "log-level-console=warn\nlog-level-stderr=off\nlog-level-file=info\n";
    }

    private static String header() {
        return "# written by the gk8s agent from the site template's spec.backup.peerRepository; 0600, do not edit\n";
    }
}
