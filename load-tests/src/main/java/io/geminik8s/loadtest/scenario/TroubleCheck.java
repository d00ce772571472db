package io.geminik8s.loadtest.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.loadtest.measure.HubMetrics;
import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.sim.Fleet;
import io.geminik8s.loadtest.sim.Troubles;
import io.geminik8s.loadtest.sim.VirtualAgent;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * After a hold with {@link Troubles}: does the hub show what the fleet did? Every failing site degraded, the slow
 * agents' health visible, every dropped link back and every node online again.
 */
final class TroubleCheck {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TroubleCheck() {
    }

    static void report(HubProcess hub, Fleet fleet, Troubles t, Report report) throws InterruptedException, IOException {
        if (t.equals(Troubles.NONE)) {
            return;
        }
        Set<String> failingSites = new LinkedHashSet<>();
        fleet.failingAgents().forEach(a -> failingSites.add(a.site()));
        int degraded = 0;
        for (String site : failingSites) {
            if ("degraded".equals(site(hub, site).path("status").asText())) {
                degraded++;
            }
        }
        List<VirtualAgent> slow = fleet.slowAgents();
        int slowVisible = 0;
        for (VirtualAgent a : slow.subList(0, Math.min(20, slow.size()))) {
            for (JsonNode n : site(hub, a.site()).path("nodes")) {
                if (a.node().equals(n.path("id").asText()) && n.hasNonNull("healthAt")) {
                    slowVisible++;
                }
            }
        }
        fleet.stopOfflinePeriods();
        long agents = fleet.agents().size();
        long deadline = System.nanoTime() + t.offlineFor().plusSeconds(60).toNanos();
        // dropped links come back offlineFor after they dropped; then the hub's gauge follows a flush and a sweep
        awaitUntil(fleet.when(() -> fleet.offlineNow() == 0, Duration.ofMillis(200)), deadline);
        awaitUntil(fleet.when(() -> nodesOnline(hub) >= agents, Duration.ofMillis(500)), deadline);
        double online = nodesOnline(hub);
        report.put("failing_sites", failingSites.size()).put("failing_sites_degraded", degraded)
                .put("slow_agents", slow.size()).put("slow_by_ms", t.slowBy().toMillis())
                .put("slow_agents_checked_visible", slowVisible + " of " + Math.min(20, slow.size()))
                .put("offline_periods", fleet.counters().offlinePeriods())
                .put("offline_periods_back_online", fleet.counters().backOnline())
                .put("nodes_online_at_end", (long) online);
    }

    /** Waits for {@code condition} until the deadline; what holds then is what the report says. */
    private static void awaitUntil(CompletableFuture<Void> condition, long deadlineNanos) throws InterruptedException {
        try {
            condition.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            condition.cancel(false);
        }
    }

    private static double nodesOnline(HubProcess hub) {
        try {
            return HubMetrics.value(hub, "gk8s_nodes_online", "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static JsonNode site(HubProcess hub, String site) throws InterruptedException, IOException {
        var r = hub.get("/api/v1/sites/" + site);
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
    }
}
