package io.geminik8s.agent.backup;

import io.geminik8s.agent.pg.PgSecret;

/**
 * The repository encryption key (pgBackRest's {@code repo1-cipher-pass}) of a site: HMAC-SHA256 of the site's
 * database secret (handed out by enrollment) over a label of its own, as {@link PgSecret#password} derives the
 * roles' passwords — the same on both nodes, different from every password, and not the secret.
 */
public final class BackupKey {

    static final String LABEL = "gk8s-backup-repo1-cipher";

    private BackupKey() {
    }

    public static String of(PgSecret secret) {
        return secret.password(LABEL);
    }

    /** The peer repository's key (pgBackRest's other repository), apart from the central one's. */
    public static String peer(PgSecret secret) {
        return secret.password("gk8s-backup-peer-cipher");
    }

    /** 64 hex digits the site's backup TLS CA key is derived from ({@link PeerTls#caKeys}). */
    public static String tlsCaSeed(PgSecret secret) {
        return secret.password("gk8s-backup-tls-ca");
    }
}
