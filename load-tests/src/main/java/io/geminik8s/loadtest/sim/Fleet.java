package io.geminik8s.loadtest.sim;

import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import io.geminik8s.protocol.Codec;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * N sites × 2 virtual agents on real MQTT connections to one broker. Shared netty loops and one scheduler thread:
 * health goes out in 100 ms slots, each agent in a random slot of the health period (a jittered start, then
 * steady); events at a fleet-wide rate. Loopback source addresses rotate (127.0.0.2, .3, …) so that more than the
 * ~28k ephemeral ports of one address can connect.
 */
public final class Fleet implements AutoCloseable {

    private static final int SLOT_MS = 100;
    private static final int AGENTS_PER_SOURCE = 20_000;

    private final List<VirtualAgent> agents = new ArrayList<>();
    private final FleetCounters counters = new FleetCounters();
    private final ExecutorService netty;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sim-scheduler");
        t.setDaemon(true);
        return t;
    });
    private final Random random = new Random(42);
    private final List<List<VirtualAgent>> slots = new ArrayList<>();
    private volatile boolean healthOn;
    private final List<VirtualAgent> flaky = new ArrayList<>();
    private volatile java.util.concurrent.ScheduledFuture<?> drops;
    private final java.util.Set<VirtualAgent> offlineNow = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public Fleet(int sites, String host, int port, int nettyThreads) {
        netty = Executors.newFixedThreadPool(nettyThreads, r -> {
            Thread t = new Thread(r, "sim-netty");
            t.setDaemon(true);
            return t;
        });
        MqttClientExecutorConfig executors = MqttClientExecutorConfig.builder().nettyExecutor(netty)
                .nettyThreads(nettyThreads).build();
        Codec codec = new Codec();
        for (int s = 0; s < sites; s++) {
            for (String node : List.of("a", "b")) {
                int i = agents.size();
                InetSocketAddress local = new InetSocketAddress("127.0.0." + (2 + i / AGENTS_PER_SOURCE), 0);
                agents.add(new VirtualAgent(String.format("sim-%06d", s), node, host, port, local, executors, codec,
                        counters));
            }
        }
    }

    public List<VirtualAgent> agents() {
        return agents;
    }

    public FleetCounters counters() {
        return counters;
    }

    /**
     * Marks the failing sites (their standby, node b) and the slow agents, and sets aside a tenth of the others whose
     * links will drop ({@link #startOfflinePeriods}); the rest are plain. Deterministic (seeded) for a given fleet.
     */
    public void troubles(Troubles t) {
        int sites = agents.size() / 2;
        for (int s = 0; s < Math.round(t.failingShare() * sites); s++) {
            agents.get(2 * s + 1).failing(true); // the first sites: easy to find in the API
        }
        List<VirtualAgent> rest = new ArrayList<>(agents.stream().filter(a -> !a.failing()).toList());
        java.util.Collections.shuffle(rest, random);
        int slow = (int) Math.round(t.slowShare() * agents.size());
        for (int i = 0; i < slow && i < rest.size(); i++) {
            rest.get(i).slowBy(t.slowBy().toMillis());
        }
        if (t.offlinePerMinute() > 0) {
            flaky.addAll(rest.subList(Math.min(slow, rest.size()), Math.min(rest.size(), slow + Math.max(1,
                    rest.size() / 10))));
        }
    }

    /** Agents that are neither failing, slow nor flaky: what the visibility probe measures. */
    public List<VirtualAgent> plainAgents() {
        java.util.Set<VirtualAgent> out = new java.util.HashSet<>(flaky);
        return agents.stream().filter(a -> !a.failing() && a.slowMs() == 0 && !out.contains(a)).toList();
    }

    public List<VirtualAgent> failingAgents() {
        return agents.stream().filter(VirtualAgent::failing).toList();
    }

    public List<VirtualAgent> slowAgents() {
        return agents.stream().filter(a -> a.slowMs() > 0).toList();
    }

    /** Agents in an offline period right now. */
    public int offlineNow() {
        return offlineNow.size();
    }

    /** {@code perMinute} times a minute a connected flaky agent's link drops; it reconnects {@code offlineFor} later. */
    public void startOfflinePeriods(Troubles t) {
        if (t.offlinePerMinute() <= 0 || flaky.isEmpty()) {
            return;
        }
        long everyMs = Math.max(1, Math.round(60_000 / t.offlinePerMinute()));
        drops = scheduler.scheduleAtFixedRate(() -> {
            VirtualAgent a = flaky.get(random.nextInt(flaky.size()));
            if (!a.connected() || !offlineNow.add(a)) {
                return;
            }
            counters.offlinePeriods.incrementAndGet();
            a.dropLink().whenComplete((v, e) -> scheduler.schedule(() -> a.connect().whenComplete((ok, err) -> {
                if (err == null) {
                    counters.backOnline.incrementAndGet();
                }
                offlineNow.remove(a);
            }), t.offlineFor().toMillis(), TimeUnit.MILLISECONDS));
        }, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    /** No more links drop; those offline now still come back. */
    public void stopOfflinePeriods() {
        var d = drops;
        if (d != null) {
            d.cancel(false);
        }
    }

    /**
     * Completes once {@code condition} holds, checked every {@code period} on the fleet's scheduler (so it must be
     * quick: it delays the health slots while it runs). The caller bounds the wait ({@code get(timeout)}).
     */
    public CompletableFuture<Void> when(java.util.function.BooleanSupplier condition, java.time.Duration period) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        var check = scheduler.scheduleAtFixedRate(() -> {
            if (condition.getAsBoolean()) {
                done.complete(null);
            }
        }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        done.whenComplete((v, e) -> check.cancel(false));
        return done;
    }

    public long connectedCount() {
        return agents.stream().filter(VirtualAgent::connected).count();
    }

    /**
     * Connects every agent, spread evenly over {@code rampMs}; completes when every agent's first attempt has
     * finished, in or refused (a refused agent keeps retrying on its own).
     */
    public CompletableFuture<Void> connectAll(long rampMs) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int i = 0; i < agents.size(); i++) {
            VirtualAgent a = agents.get(i);
            CompletableFuture<Void> f = new CompletableFuture<>();
            done.add(f);
            scheduler.schedule(() -> a.firstAttempt().whenComplete((v, e) -> f.complete(null)),
                    rampMs * i / Math.max(1, agents.size()), TimeUnit.MILLISECONDS);
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
    }

    /** Every agent sends health every {@code periodMs}, each at its own random phase. */
    public void startHealth(long periodMs) {
        int n = (int) Math.max(1, periodMs / SLOT_MS);
        for (int i = 0; i < n; i++) {
            slots.add(new ArrayList<>());
        }
        for (VirtualAgent a : agents) {
            slots.get(random.nextInt(n)).add(a);
        }
        healthOn = true;
        long[] tick = {0};
        scheduler.scheduleAtFixedRate(() -> {
            if (!healthOn) {
                return;
            }
            long now = System.currentTimeMillis();
            for (VirtualAgent a : slots.get((int) (tick[0]++ % n))) {
                double cpu = 5 + random.nextInt(40);
                if (a.slowMs() > 0) { // stamped now, on the wire later
                    scheduler.schedule(() -> a.connected() ? a.health(now, cpu) : null, a.slowMs(), TimeUnit.MILLISECONDS);
                } else if (a.connected()) {
                    a.health(now, cpu);
                }
            }
        }, SLOT_MS, SLOT_MS, TimeUnit.MILLISECONDS);
    }

    /** Events from random agents, {@code perSecond} in total across the fleet. */
    public void startEvents(double perSecond) {
        if (perSecond <= 0) {
            return;
        }
        long everyUs = (long) (1_000_000 / perSecond);
        scheduler.scheduleAtFixedRate(() -> {
            VirtualAgent a = agents.get(random.nextInt(agents.size()));
            if (a.connected()) {
                a.event("sim.tick", "simulated event");
            }
        }, everyUs, everyUs, TimeUnit.MICROSECONDS);
    }

    @Override
    public void close() {
        healthOn = false;
        scheduler.shutdownNow();
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (VirtualAgent a : agents) {
            if (a.connected()) {
                closing.add(a.disconnect().exceptionally(e -> null));
            }
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        netty.shutdownNow();
    }
}
