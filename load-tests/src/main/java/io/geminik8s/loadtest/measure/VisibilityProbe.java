package io.geminik8s.loadtest.measure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.loadtest.sim.VirtualAgent;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Ingest-to-visible latency as a NOC sees it: a random agent sends a health sample stamped now, and the probe polls
 * {@code GET /api/v1/sites/{site}} every 20 ms until the node's {@code healthAt} reaches that stamp. A few probes run
 * in parallel beside the fleet's own traffic; a sample not visible within 30 s counts as 30 s and a timeout.
 */
public final class VisibilityProbe implements AutoCloseable {

    private static final long POLL_MS = 20;
    private static final long GIVE_UP_MS = 30_000;

    private final HubProcess hub;
    private final List<VirtualAgent> agents;
    private final Recorder recorder = new Recorder(3_600_000L, 3);
    private final ExecutorService probes;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong timeouts = new AtomicLong();
    private final ObjectMapper json = new ObjectMapper();

    public VisibilityProbe(HubProcess hub, List<VirtualAgent> agents, int parallel) {
        this.hub = hub;
        this.agents = agents;
        // --probes 0: no probe at all, for scenarios that measure the hub's own cost (no API reads on top)
        this.probes = Executors.newFixedThreadPool(Math.max(1, parallel), r -> {
            Thread t = new Thread(r, "sim-probe");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < parallel; i++) {
            long seed = i;
            probes.execute(() -> loop(new Random(seed)));
        }
    }

    /** Latencies (ms) recorded since the last call. */
    public org.HdrHistogram.Histogram interval() {
        return recorder.getIntervalHistogram();
    }

    public long timeouts() {
        return timeouts.get();
    }

    private void loop(Random random) {
        while (running.get()) {
            VirtualAgent a = agents.get(random.nextInt(agents.size()));
            if (!a.connected()) {
                continue;
            }
            long ts = System.currentTimeMillis();
            a.health(ts, 1.0);
            try {
                long seen = awaitVisible(a, ts);
                recorder.recordValue(Math.min(seen - ts, GIVE_UP_MS));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private long awaitVisible(VirtualAgent a, long ts) throws InterruptedException {
        while (running.get()) {
            var r = hub.get("/api/v1/sites/" + a.site());
            long now = System.currentTimeMillis();
            if (r.statusCode() == 200 && healthAt(r.body(), a.node()) >= ts - 1) { // to_timestamp rounds to µs
                return now;
            }
            if (now - ts > GIVE_UP_MS) {
                timeouts.incrementAndGet();
                return now;
            }
            Thread.sleep(POLL_MS); // the poll interval of the probe: its resolution, not a wait for a condition
        }
        return System.currentTimeMillis();
    }

    private long healthAt(String body, String node) {
        try {
            for (JsonNode n : json.readTree(body).path("nodes")) {
                if (node.equals(n.path("id").asText()) && n.hasNonNull("healthAt")) {
                    return OffsetDateTime.parse(n.get("healthAt").asText()).toInstant().toEpochMilli();
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        probes.shutdown();
        probes.awaitTermination(35, TimeUnit.SECONDS);
    }
}
