package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import java.nio.file.Path;

/**
 * The text of one node's pgbackrest.conf (pure): the central repository encrypted with the site's backup key, the
 * spec's retention, and this node's PostgreSQL reached through its private socket folder. The only secret in it is
 * {@code repo1-cipher-pass}; the file is written 0600 for the server's OS user ({@link PgBackRest#writeConfig}),
 * and pgBackRest refuses that option on a command line and prints it as {@code <redacted>}.
 */
public record PgBackRestConf(String stanza, Path pgData, int pgPort, Path socketDir, Path home) {

    /** The repository key: derived from the site's database secret, the same on both nodes ({@link BackupKey}). */
    public String render(BackupSpec spec, String cipherPass) {
        StringBuilder b = new StringBuilder();
        b.append("# written by the gk8s agent from the site template's spec.backup; 0600, do not edit\n");
        b.append("[global]\n");
        b.append("repo1-path=").append(spec.repositoryPath()).append('\n');
        b.append("repo1-cipher-type=aes-256-cbc\n");
        b.append("repo1-cipher-pass=").append(cipherPass).append('\n');
        for (String o : BackupPlanner.retentionOptions(spec)) {
            b.append(o).append('\n');
        }
        b.append("lock-path=").append(home.resolve("lock")).append('\n');
        b.append("log-path=").append(home.resolve("log")).append('\n');
        b.append("spool-path=").append(home.resolve("spool")).append('\n');
        b.append("log-level-console=warn\nlog-level-stderr=off\nlog-level-file=info\n");
        b.append("start-fast=y\n"); // a checkpoint at once, not at the next scheduled one
        b.append("archive-timeout=60\n"); // how long a backup waits for its last WAL segment in the repository
        b.append('[').append(stanza).append("]\n");
        b.append("pg1-path=").append(pgData).append('\n');
        b.append("pg1-port=").append(pgPort).append('\n');
        b.append("pg1-socket-path=").append(socketDir).append('\n');
        b.append("pg1-user=postgres\n");
        return b.toString();
    }
}
