package io.geminik8s.agent.ha;

import io.geminik8s.protocol.Severity;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * The supervisor's events, journaled in order on a thread of their own: a journal write fsyncs, and the HA loop
 * (witness replies, the lease) must not wait on a disk.
 */
final class HaJournal implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HaJournal.class.getName());

    private final HaEvents events;
    private final String who;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gk8s-ha-journal");
        t.setDaemon(true);
        return t;
    });

    HaJournal(HaEvents events, String who) {
        this.events = events;
        this.who = who;
    }

    void record(String type, Severity severity, String message, Map<String, String> attrs) {
        thread.execute(() -> {
            try {
                events.record(type, severity, message, attrs);
            } catch (RuntimeException e) {
                LOG.warning("HA event " + type + " not recorded: " + e);
            }
        });
    }

    /** A step of the supervisor: with its epoch and how long it took. */
    void step(String type, Severity severity, String message, long epoch, long tookMs) {
        record(type, severity, message, Map.of("epoch", Long.toString(epoch), "took_ms", Long.toString(tookMs)));
    }

    void leaseMismatch(Action.LeaseMismatch m) {
        LOG.severe("HA " + who + ": ha.lease-ms is " + m.configuredMs() + " ms but the hub's lease is " + m.hubMs()
                + " ms: a longer agent lease is split brain by configuration; counting the lease with the hub's "
                + m.hubMs() + " ms. Set ha.lease-ms to the hub's gk8s.witness.lease");
        record("ha.lease-mismatch", Severity.CRITICAL, "ha.lease-ms " + m.configuredMs()
                + " ms is longer than the hub's lease " + m.hubMs() + " ms: using the hub's",
                Map.of("epoch", Long.toString(m.epoch()), "configured_ms", Long.toString(m.configuredMs()),
                        "hub_ms", Long.toString(m.hubMs())));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
