package io.geminik8s.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.Properties;

/**
 * The embedded PostgreSQL's two passwords: the superuser's (used only here, to set the server up) and the hub's
 * role's. Kept next to the data folder in a file only its owner can read ({@code <data>/postgres.credentials}, 0600),
 * the same trust as the database files. {@link #secure} makes every connection authenticate with SCRAM.
 */
public record DatabaseCredentials(String superuser, String app) {

    private static final String HBA = """
            # written by geminik8s: every connection authenticates with a password (SCRAM)
            local all all scram-sha-256
            host all all 127.0.0.1/32 scram-sha-256
            host all all ::1/128 scram-sha-256
            """;

    public static Path fileFor(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + ".credentials");
    }

    static DatabaseCredentials generate() {
        return new DatabaseCredentials(random(), random());
    }

    /** Reads the file, or makes new passwords and writes it (0600, atomically) when there is none. */
    public static DatabaseCredentials loadOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (var in = Files.newInputStream(file)) {
                    p.load(in);
                }
                String su = p.getProperty("superuser");
                String app = p.getProperty("app");
                if (su == null || app == null || su.isBlank() || app.isBlank()) {
                    throw new IllegalStateException(file + " lacks superuser= or app=; restore it from a backup");
                }
                return new DatabaseCredentials(su, app);
            }
            DatabaseCredentials c = generate();
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, "superuser=" + c.superuser() + "\napp=" + c.app() + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("database credentials in " + file, e);
        }
    }

    /**
     * As the superuser (over a connection zonky's readiness check opened): sets both passwords, makes the hub's
     * role (no superuser, no role or database creation) and its database, takes connect rights to the others from
     * PUBLIC, then switches every connection to SCRAM and reloads.
     */
    void secure(Connection superuserConnection) throws SQLException, IOException {
        try (Connection c = superuserConnection; Statement st = c.createStatement()) {
            st.execute("SET password_encryption = 'scram-sha-256'");
            st.execute("ALTER ROLE postgres PASSWORD " + literal(superuser));
            boolean exists;
            try (var rs = st.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + EmbeddedDatabase.APP_USER + "'")) {
                exists = rs.next();
            }
            st.execute((exists ? "ALTER" : "CREATE") + " ROLE " + EmbeddedDatabase.APP_USER
                    + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD " + literal(app));
            try (var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '"
                    + EmbeddedDatabase.APP_DATABASE + "'")) {
                if (!rs.next()) {
                    st.execute("CREATE DATABASE " + EmbeddedDatabase.APP_DATABASE + " OWNER "
                            + EmbeddedDatabase.APP_USER);
                }
            }
            st.execute("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC");
            st.execute("REVOKE CONNECT ON DATABASE template1 FROM PUBLIC");
            Path hba;
            try (var rs = st.executeQuery("SHOW hba_file")) {
                rs.next();
                hba = Path.of(rs.getString(1));
            }
            if (!Files.exists(hba) || !Files.readString(hba).equals(HBA)) {
                Path tmp = hba.resolveSibling("pg_hba.conf.tmp");
                Files.writeString(tmp, HBA);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                Files.move(tmp, hba, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                st.execute("SELECT pg_reload_conf()");
            }
        }
    }

    private static String random() {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    private static String literal(String password) { // base64url: no quote can occur, checked anyway
        if (!password.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("unexpected characters in a generated password");
        }
        return "'" + password + "'";
    }

    @Override
    public String toString() {
        return "DatabaseCredentials[redacted]";
    }
}
