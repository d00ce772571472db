import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Stands in for a K3s server on Kine in the HA harness (K3s cannot be installed here): writes to the site's
 * datastore through the VIP the way Kine does — every change is a new row of the {@code kine} table (Kine's
 * schema), its revision the row's id from {@code kine_id_seq} — and prints one line per acknowledged revision
 * ("rev <id> <node> <epoch ms>"), plus "started"/"stopped", so the harness can check that revisions never go back
 * across a failover and that the fenced node's server was stopped.
 */
public class KineStandIn {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        String node = args[1];
        Properties p = new Properties();
        // Kine's own role where the site has one (KINE_USER=kine, its password derived from the site's secret)
        p.setProperty("user", System.getenv().getOrDefault("KINE_USER", "postgres"));
        if (System.getenv("PGPASSWORD") != null) {
            p.setProperty("password", System.getenv("PGPASSWORD"));
        }
        p.setProperty("connectTimeout", "1");
        p.setProperty("socketTimeout", "2");
        p.setProperty("ApplicationName", "k3s-" + node);
        System.out.println("started " + node + " " + System.currentTimeMillis());
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
                System.out.println("stopped " + node + " " + System.currentTimeMillis())));
        Connection c = null;
        long prev = 0;
        String lastErr = "";
        while (true) {
            try {
                if (c == null) {
                    c = DriverManager.getConnection(url, p);
                    try (Statement st = c.createStatement()) {
                        st.execute("CREATE TABLE IF NOT EXISTS kine (id SERIAL PRIMARY KEY, name text COLLATE \"C\","
                                + " created integer, deleted integer, create_revision bigint, prev_revision bigint,"
                                + " lease integer, value bytea, old_value bytea)");
                    }
                }
                try (PreparedStatement st = c.prepareStatement("INSERT INTO kine (name, created, deleted,"
                        + " create_revision, prev_revision, lease, value) VALUES (?, 0, 0, 0, ?, 0, ?) RETURNING id")) {
                    st.setString(1, "/registry/leases/kube-node-lease/" + node);
                    st.setLong(2, prev);
                    st.setBytes(3, Long.toString(System.currentTimeMillis()).getBytes());
                    try (ResultSet rs = st.executeQuery()) {
                        rs.next();
                        prev = rs.getLong(1);
                    }
                }
                System.out.println("rev " + prev + " " + node + " " + System.currentTimeMillis());
                lastErr = "";
            } catch (SQLException e) {
                String msg = e.getSQLState() + " " + String.valueOf(e.getMessage()).split("\n")[0];
                if (!msg.equals(lastErr)) {
                    System.out.println("err " + node + " " + System.currentTimeMillis() + " " + msg);
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
            }
            System.out.flush();
            Thread.sleep(100); // a node lease renewal every 100 ms: the pace of the stand-in, not a wait
        }
    }
}
