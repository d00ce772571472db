package io.geminik8s.hub.ingest;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Since when this replica has been ingesting without a break (connected and subscribed), or -1. Silence from a node
 * means something only while the hub could have heard it: the heartbeat sweep waits for a whole timeout of
 * ingest before it marks anyone offline (a broker restart made the sweep declare the whole fleet offline).
 */
@ApplicationScoped
public class IngestState {

    private volatile long upSinceMillis = -1;

    void up() {
        upSinceMillis = System.currentTimeMillis();
    }

    void down() {
        upSinceMillis = -1;
    }

    /** Whether ingest has run without a break since {@code millis} (epoch ms) or earlier. */
    public boolean ingestingSince(long millis) {
        long since = upSinceMillis;
        return since >= 0 && since <= millis;
    }
}
