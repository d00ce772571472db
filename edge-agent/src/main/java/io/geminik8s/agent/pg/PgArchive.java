package io.geminik8s.agent.pg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Continuous WAL archiving of one node's PostgreSQL, and the private files of the tool that archives (pgBackRest,
 * docs/backup.md). The settings go through {@code ALTER SYSTEM} (postgresql.auto.conf), which a fenced or standby
 * server accepts too: archive_command and archive_timeout take effect at a reload, archive_mode only at the next
 * start, which this class reports rather than restarting a primary behind the HA supervisor's back.
 */
public final class PgArchive {

    /** What the server runs now: whether WAL is archived with the wanted command, or waits for a restart. */
    public enum State { ARCHIVING, RESTART_NEEDED }

    private final PgControl pg;

    public PgArchive(PgControl pg) {
        this.pg = pg;
    }

    /**
     * archive_mode = on, {@code command} as archive_command and {@code timeoutSeconds} as archive_timeout, written
     * only where they differ, then a reload. Throws when the server does not answer.
     */
    public State configure(String command, int timeoutSeconds) {
        Map<String, String> want = new LinkedHashMap<>();
        want.put("archive_mode", "on");
        want.put("archive_command", command);
        want.put("archive_timeout", Integer.toString(timeoutSeconds));
        try (Connection c = pg.connect()) {
            boolean changed = false;
            for (var e : want.entrySet()) {
                if (!e.getValue().equals(configured(c, e.getKey()))) {
                    try (var st = c.createStatement()) {
                        st.execute("ALTER SYSTEM SET " + e.getKey() + " = " + literal(e.getValue()));
                    }
                    changed = true;
                }
            }
            if (changed) {
                try (var st = c.createStatement()) {
                    st.execute("SELECT pg_reload_conf()");
                }
            }
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT current_setting('archive_mode')")) {
                rs.next();
                return "off".equals(rs.getString(1)) ? State.RESTART_NEEDED : State.ARCHIVING;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(pg.name + ": cannot configure WAL archiving: " + e.getMessage(), e);
        }
    }

    /** The value in the configuration files (postgresql.auto.conf included), which a reload applies. */
    private static String configured(Connection c, String name) throws SQLException {
        try (var st = c.prepareStatement("SELECT setting FROM pg_file_settings WHERE name = ? AND error IS NULL"
                + " ORDER BY seqno DESC LIMIT 1")) {
            st.setString(1, name);
            try (var rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** {@code text} into {@code file}: 0600 from its first byte, the server's OS user's ({@link PgAuth#privateFile}). */
    public void privateFile(Path file, String text) {
        try {
            PgAuth.privateFile(pg, file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(pg.name + ": cannot write " + file, e);
        }
    }

    /** As {@link #privateFile}, only when the file does not hold {@code text} already; true when written. */
    public boolean privateFileIfChanged(Path file, String text) {
        try {
            if (java.nio.file.Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && java.nio.file.Files.readString(file, StandardCharsets.UTF_8).equals(text)) {
                return false;
            }
        } catch (IOException e) {
            // unreadable: written anew
        }
        privateFile(file, text);
        return true;
    }

    /** {@code dir} as a 0700 folder of the server's OS user ({@link PgAuth#privateDirectory}). */
    public void privateDirectory(Path dir) {
        try {
            PgAuth.privateDirectory(pg, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(pg.name + ": cannot make " + dir, e);
        }
    }
}
