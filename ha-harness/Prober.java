import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;

/**
 * The harness's "is this server writable?" sampler, run inside a node's network namespace against that node's own
 * PostgreSQL (its address, not the VIP): every {@code intervalMs} it tries to commit as a client that overrides every
 * setting a fence could rely on — {@code SET default_transaction_read_only = off; SET synchronous_commit = local;
 * BEGIN READ WRITE; INSERT; COMMIT} — with a short statement_timeout and connect timeout, and prints one line per
 * sample: {@code <epoch ms at the start> <epoch ms at the answer> w} (committed: writable) or {@code ... - <why>}.
 * The session is kept between samples (a fence must also stop a client that connected before it) and re-opened after
 * any error. Usage: Prober jdbc-url node seconds intervalMs
 */
public class Prober {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        String node = args[1];
        long end = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
        long interval = Long.parseLong(args[3]);
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        if (System.getenv("PGPASSWORD") != null) { // the superuser's password, derived from the site's secret
            p.setProperty("password", System.getenv("PGPASSWORD"));
        }
        p.setProperty("connectTimeout", "1");
        p.setProperty("loginTimeout", "1");
        p.setProperty("socketTimeout", "1");
        p.setProperty("ApplicationName", "harness-prober");
        Connection c = null;
        StringBuilder out = new StringBuilder();
        for (long next = System.currentTimeMillis(); System.currentTimeMillis() < end; ) {
            long started = System.currentTimeMillis();
            String outcome;
            try {
                if (c == null) {
                    c = DriverManager.getConnection(url, p);
                    try (Statement st = c.createStatement()) {
                        st.execute("SET statement_timeout = 300");
                    }
                }
                try (Statement st = c.createStatement()) {
                    st.execute("SET default_transaction_read_only = off");
                    st.execute("SET synchronous_commit = local");
                    st.execute("BEGIN READ WRITE");
                    st.execute("CREATE TABLE IF NOT EXISTS harness_probe (node text, at bigint)");
                    st.execute("INSERT INTO harness_probe VALUES ('" + node + "', " + started + ")");
                    st.execute("COMMIT");
                }
                outcome = "w";
            } catch (SQLException e) {
                outcome = "- " + e.getSQLState();
                c = keepOrClose(c, e);
            }
            out.setLength(0);
            System.out.println(out.append(started).append(' ').append(System.currentTimeMillis()).append(' ')
                    .append(outcome));
            System.out.flush();
            next = Math.max(next + interval, System.currentTimeMillis() - interval); // no catch-up bursts
            long wait = next - System.currentTimeMillis();
            if (wait > 0) {
                LockSupport.parkNanos(wait * 1_000_000); // the sampling period, not a stand-in for a condition
            }
        }
    }

    /** An error the server answered (read-only, recovery) keeps the session; a broken or timed-out one is closed. */
    private static Connection keepOrClose(Connection c, SQLException e) {
        if (c == null) {
            return null;
        }
        String state = e.getSQLState();
        if (state != null && !state.startsWith("08")) {
            try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK");
                return c;
            } catch (SQLException again) {
                // fall through: close it
            }
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // re-opened at the next sample
        }
        return null;
    }
}
