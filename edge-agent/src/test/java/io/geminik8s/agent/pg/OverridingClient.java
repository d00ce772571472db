package io.geminik8s.agent.pg;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A client that overrides every setting a fence could rely on and commits: {@code SET
 * default_transaction_read_only = off; SET synchronous_commit = local; BEGIN READ WRITE; INSERT; COMMIT}, with short
 * timeouts. Run in a loop on its own thread, it records when each commit was acknowledged.
 */
final class OverridingClient implements AutoCloseable {

    private final Thread thread;
    private final AtomicLong attempts = new AtomicLong();
    private final List<Long> acknowledgedAt = new CopyOnWriteArrayList<>();
    private volatile boolean stop;

    private OverridingClient(PgControl node, int firstId) {
        thread = new Thread(() -> {
            for (int id = firstId; !stop; id++) {
                try {
                    commit(node, id);
                    acknowledgedAt.add(System.nanoTime());
                } catch (SQLException e) {
                    LockSupport.parkNanos(5_000_000); // refused at once: do not spin
                } finally {
                    attempts.incrementAndGet();
                }
            }
        }, "overriding-client");
        thread.setDaemon(true);
        thread.start();
    }

    static OverridingClient start(PgControl node, int firstId) {
        return new OverridingClient(node, firstId);
    }

    /** One commit with every setting overridden; returns only when acknowledged. */
    static void commit(PgControl node, int id) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "2");
        p.setProperty("loginTimeout", "2");
        p.setProperty("socketTimeout", "2");
        try (Connection c = DriverManager.getConnection(node.jdbcUrl(), p); Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = 1000");
            st.execute("SET default_transaction_read_only = off");
            st.execute("SET synchronous_commit = local");
            st.execute("BEGIN READ WRITE");
            st.execute("INSERT INTO acked VALUES (" + id + ")");
            st.execute("COMMIT");
        }
    }

    long attempts() {
        return attempts.get();
    }

    int acknowledged() {
        return acknowledgedAt.size();
    }

    /** Commits acknowledged after {@code nanoTime}. */
    long acknowledgedAfter(long nanoTime) {
        return acknowledgedAt.stream().filter(t -> t > nanoTime).count();
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(10_000);
    }
}
