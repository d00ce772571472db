package io.geminik8s.agent.pg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * Password authentication of a pair's PostgreSQL: the cluster made with a superuser password and an access file
 * that asks every TCP connection for SCRAM, and the password file libpq's tools and the standby's connection read.
 * pg_hba.conf is in the data directory (a base backup gives the standby the same rules); the password file is beside
 * it, so no copy of the data carries a password.
 */
final class PgAuth {

    private PgAuth() {
    }

    /**
     * initdb with the superuser's password (read from a 0600 file that is deleted at once) and an access file in
     * which loopback and {@code network} prove SCRAM passwords; replication only as the replication role.
     */
    static void initdb(PgControl pg, PgSecret secret, String network, boolean tls) {
        Path pwfile = pg.data.resolveSibling(pg.data.getFileName() + ".initpw");
        try {
            privateFile(pg, pwfile, (secret.password(PgSecret.SUPERUSER) + "\n").getBytes(StandardCharsets.UTF_8));
            pg.run(Duration.ofSeconds(60), pg.bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-U",
                    PgSecret.SUPERUSER, "--pwfile=" + pwfile, "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256", "-E", "UTF8", "--data-checksums", "--no-instructions");
            // initdb made it: keeps its owner
            Files.writeString(pg.data.resolve("pg_hba.conf"), hba(network, tls, pg.socketDirectory() != null));
        } catch (IOException e) {
            throw new UncheckedIOException(pg.name + ": cannot set up password authentication", e);
        } finally {
            try {
                Files.deleteIfExists(pwfile);
            } catch (IOException e) {
                // the next initdb overwrites it; it holds only a derived password, 0600
            }
        }
    }

    static final String MARK = "# written by the gk8s agent";

    /**
     * The access rules: nothing is trusted, replication only as the replication role. With TLS ({@link PgTls}) the
     * site network must use it (the clients also require channel binding: {@link PgTls#clientOptions}).
     */
    static String hba(String network, boolean tls, boolean socket) {
        String net = network == null ? "samenet" : network;
        String host = tls ? "hostssl" : "host"; // with TLS, loopback too: nothing plain is left
        return MARK + ": every connection proves a SCRAM password (pg.secret-file)" + (tls ? " over TLS" : "") + "\n"
                // the socket folder is 0700, the server's OS user's: only its tools (pgBackRest) reach it
                + (socket ? "local all " + PgSecret.SUPERUSER + " scram-sha-256\n" : "")
                + host + " all all 127.0.0.1/32 scram-sha-256\n"
                + host + " all all ::1/128 scram-sha-256\n"
                + host + " all all " + net + " scram-sha-256\n"
                + host + " replication " + PgControl.REPLICATION_USER + " 127.0.0.1/32 scram-sha-256\n"
                + host + " replication " + PgControl.REPLICATION_USER + " " + net + " scram-sha-256\n";
    }

    /**
     * Before a start: the rules again, as TLS is now on or off. Only a file this agent wrote is replaced: a cluster
     * made with trust (before the site had a secret) has roles without passwords and would lock the agent out.
     */
    static void refreshHba(PgControl pg, String network, boolean tls) {
        Path hba = pg.data.resolve("pg_hba.conf");
        try {
            if (Files.exists(hba) && Files.readString(hba).startsWith(MARK)) {
                String want = hba(network, tls, pg.socketDirectory() != null);
                if (!Files.readString(hba).equals(want)) {
                    Files.writeString(hba, want); // keeps its owner
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(pg.name + ": cannot write " + hba, e);
        }
    }

    /**
     * {@code <data>.pgpass} (0600, owned by the server's OS user): the replication role's and the superuser's
     * passwords for libpq (pg_basebackup, pg_rewind, the standby's walreceiver). Rewritten when it differs.
     */
    static Path passfile(PgControl pg, PgSecret secret) {
        Path file = pg.data.resolveSibling(pg.data.getFileName() + ".pgpass");
        String text = "*:*:*:" + PgControl.REPLICATION_USER + ":" + secret.password(PgControl.REPLICATION_USER)
                + "\n*:*:*:" + PgSecret.SUPERUSER + ":" + secret.password(PgSecret.SUPERUSER) + "\n";
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    || !Files.readString(file, StandardCharsets.UTF_8).equals(text)) { // never read a planted link or FIFO
                privateFile(pg, file, text.getBytes(StandardCharsets.UTF_8));
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(pg.name + ": cannot write " + file, e);
        }
    }

    /**
     * {@code bytes} into {@code file}, 0600 from its first byte, owned by the server's OS user when root. Safe in a
     * folder that user owns (they could plant links there): the temporary file has an unguessable name and is
     * created exclusively (never through a planted link), written through its open descriptor, its owner set without
     * following links, then renamed over {@code file} (a link planted there is replaced, not followed).
     */
    static void privateFile(PgControl pg, Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            owner(pg, tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@code dir} as a 0700 folder of the server's OS user (a link or file planted in its place is removed). */
    static void privateDirectory(PgControl pg, Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(dir); // a link is removed, not followed
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        owner(pg, dir);
    }

    /** The server's OS user (and its group) as owner of {@code path} itself, never of what a link points to. */
    private static void owner(PgControl pg, Path path) throws IOException {
        if (pg.osUser == null || !PgControl.isRoot()) {
            return;
        }
        var lookup = path.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        view.setOwner(lookup.lookupPrincipalByName(pg.osUser));
        view.setGroup(lookup.lookupPrincipalByGroupName(pg.osUser));
    }

    private static final SecureRandom RANDOM = new SecureRandom();
}
