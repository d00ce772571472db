package io.geminik8s.agent.probe;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Role;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Local PostgreSQL role and replication state over JDBC, with short timeouts so a hung database cannot stall the
 * agent. A failed probe reports role {@code down} and the reason.
 */
public final class PgProbe {

    private static final String PRIMARY_SQL = "select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0),"
            + " count(*) filter (where state = 'streaming') from pg_stat_replication";
    private static final String STANDBY_SQL = "select coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(),"
            + " pg_last_wal_replay_lsn()), 0), (select count(*) from pg_stat_wal_receiver where status = 'streaming')";

    /** Opens a connection to the local server (with its own credentials and timeouts). */
    public interface Connections {
        Connection open() throws SQLException;
    }

    private final AgentConfig.Postgres config;
    private final Connections connections;
    private volatile String serverVersion;

    public PgProbe(AgentConfig.Postgres config) {
        this.config = config;
        this.connections = null;
    }

    /** A probe of the HA node's own PostgreSQL, through its connections (the site secret's password, TLS). */
    public PgProbe(Connections connections) {
        this.config = null;
        this.connections = connections;
    }

    public boolean configured() {
        return connections != null || config.url() != null;
    }

    private Connection connect() throws SQLException {
        if (connections != null) {
            return connections.open();
        }
        Properties props = new Properties();
        if (config.user() != null) {
            props.setProperty("user", config.user());
        }
        if (config.password() != null) {
            props.setProperty("password", new String(config.password()));
        }
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "3");
        props.setProperty("loginTimeout", "3");
        props.setProperty("ApplicationName", "gk8s-agent");
        return DriverManager.getConnection(config.url(), props);
    }

    /** Server version seen at the last successful probe, or null. */
    public String serverVersion() {
        return serverVersion;
    }

    public Health.Pg probe() {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.setQueryTimeout(3);
            boolean standby;
            try (ResultSet rs = st.executeQuery("select pg_is_in_recovery(), current_setting('server_version')")) {
                rs.next();
                standby = rs.getBoolean(1);
                serverVersion = rs.getString(2);
            }
            try (ResultSet rs = st.executeQuery(standby ? STANDBY_SQL : PRIMARY_SQL)) {
                rs.next();
                return new Health.Pg(standby ? Role.STANDBY : Role.PRIMARY, Math.max(0, rs.getLong(1)),
                        rs.getLong(2) > 0, null);
            }
        } catch (SQLException e) {
            return new Health.Pg(Role.DOWN, null, false, e.getSQLState() + ": " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 300 ? line.substring(0, 300) : line;
    }
}
