import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The harness's client: writes through the VIP for a given time and prints one line per attempt outcome change
 * plus every acknowledged id ("ok <id> <epoch ms>", "err <epoch ms> <message>"); an insert that committed while its
 * acknowledgement was lost shows up on retry as a duplicate and is logged "indeterminate <id>". Run inside a
 * network namespace.
 */
public class Writer {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        long end = System.currentTimeMillis() + Long.parseLong(args[1]) * 1000;
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        if (System.getenv("PGPASSWORD") != null) { // the superuser's password, derived from the site's secret
            p.setProperty("password", System.getenv("PGPASSWORD"));
        }
        p.setProperty("connectTimeout", "1");
        p.setProperty("socketTimeout", "2");
        long id = 0;
        Connection c = null;
        String lastErr = "";
        while (System.currentTimeMillis() < end) {
            try {
                if (c == null) {
                    c = DriverManager.getConnection(url, p);
                    try (Statement st = c.createStatement()) {
                        st.execute("CREATE TABLE IF NOT EXISTS harness_writes (id bigint PRIMARY KEY, at bigint)");
                    }
                }
                long next = id + 1;
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO harness_writes VALUES (" + next + ", " + System.currentTimeMillis() + ")");
                }
                id = next;
                System.out.println("ok " + id + " " + System.currentTimeMillis());
                lastErr = "";
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) { // the previous insert committed but its ack was lost
                    id = id + 1;
                    System.out.println("indeterminate " + id + " " + System.currentTimeMillis());
                    continue;
                }
                String msg = e.getSQLState() + " " + String.valueOf(e.getMessage()).split("\n")[0];
                if (!msg.equals(lastErr)) {
                    System.out.println("err " + System.currentTimeMillis() + " " + msg);
                    lastErr = msg;
                }
                if (c != null) {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // reconnect below
                    }
                    c = null;
                }
                Thread.sleep(20); // pacing of retries against a dead address, not a stand-in for a condition
            }
            System.out.flush();
        }
    }
}
