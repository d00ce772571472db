package io.geminik8s.agent.pg;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A template's PostgreSQL settings on the node's own server: written with {@code ALTER SYSTEM} (into
 * postgresql.auto.conf, which a base backup and pg_rewind carry to the peer), then a reload. Which of them need a
 * restart to take effect is PostgreSQL's own answer ({@code pg_settings.context = 'postmaster'}).
 */
public final class PgSettings {

    /** A parameter name as the hub's template rules allow it; anything else never reaches SQL. */
    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_.]{0,62}");

    private PgSettings() {
    }

    /**
     * Sets {@code desired}, resets what {@code previous} set and {@code desired} no longer does, reloads.
     *
     * @return the names whose new value is pending a restart
     * @throws IllegalStateException when PostgreSQL refuses one (an unknown parameter, a bad value), naming it
     */
    public static Set<String> apply(PgControl pg, Map<String, String> desired, Map<String, String> previous) {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.setQueryTimeout(10);
            for (String name : previous.keySet()) {
                if (!desired.containsKey(name)) {
                    st.execute("ALTER SYSTEM RESET " + checked(name));
                }
            }
            for (Map.Entry<String, String> e : desired.entrySet()) {
                try {
                    st.execute("ALTER SYSTEM SET " + checked(e.getKey()) + " = " + literal(e.getValue()));
                } catch (SQLException refused) {
                    throw new IllegalStateException("PostgreSQL refused " + e.getKey() + " = " + e.getValue() + ": "
                            + refused.getMessage(), refused);
                }
            }
            java.sql.Timestamp before;
            try (var rs = st.executeQuery("SELECT pg_conf_load_time()")) {
                rs.next();
                before = rs.getTimestamp(1);
            }
            st.execute("SELECT pg_reload_conf()");
            awaitReload(c, before);
            return pending(c, desired.keySet());
        } catch (SQLException e) {
            throw new IllegalStateException(pg.name() + ": settings not applied: " + e.getMessage(), e);
        }
    }

    /**
     * The reload is asynchronous (a signal to the postmaster): until this session has read the files again, its
     * pending_restart says nothing. pg_conf_load_time() moves when it has (checked at each new statement).
     */
    private static void awaitReload(Connection c, java.sql.Timestamp before) throws SQLException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        try (var st = c.prepareStatement("SELECT pg_conf_load_time() > ?")) {
            st.setTimestamp(1, before);
            while (true) {
                try (var rs = st.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new SQLException("the server did not reload its configuration within 10 s");
                }
                try {
                    Thread.sleep(20); // polling the server's own answer, bounded by the deadline
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted");
                }
            }
        }
    }

    /** Of {@code names}, those a change of needs a server restart (context postmaster). */
    public static Set<String> restartNeeded(PgControl pg, Collection<String> names) {
        try (Connection c = pg.connect()) {
            return named(c, "SELECT name FROM pg_settings WHERE name = ANY(?) AND context = 'postmaster'", names);
        } catch (SQLException e) {
            throw new IllegalStateException(pg.name() + ": " + e.getMessage(), e);
        }
    }

    /** Of {@code names}, those whose written value waits for a restart now. */
    public static Set<String> pendingRestart(PgControl pg, Collection<String> names) {
        try (Connection c = pg.connect()) {
            return pending(c, names);
        } catch (SQLException e) {
            throw new IllegalStateException(pg.name() + ": " + e.getMessage(), e);
        }
    }

    private static Set<String> pending(Connection c, Collection<String> names) throws SQLException {
        return named(c, "SELECT name FROM pg_settings WHERE name = ANY(?) AND pending_restart", names);
    }

    /** The names a query over pg_settings selects among {@code names}. */
    private static Set<String> named(Connection c, String query, Collection<String> names) throws SQLException {
        try (var st = c.prepareStatement(query)) {
            st.setQueryTimeout(5);
            st.setArray(1, c.createArrayOf("text", names.toArray()));
            Set<String> out = new TreeSet<>();
            try (var rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }

    static String checked(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a PostgreSQL parameter name: " + name);
        }
        return name;
    }

    /** A SQL string literal: quotes doubled, no backslash escapes (standard_conforming_strings is on). */
    static String literal(String value) {
        if (value.indexOf('\0') >= 0 || value.length() > 1024) {
            throw new IllegalArgumentException("a setting's value: no NUL, at most 1024 chars");
        }
        return "'" + value.replace("'", "''") + "'";
    }
}
