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
        long deadline = System.nanoTime() + t.offlineFor().plusSeconds(60).toNanos();
        while (fleet.offlineNow() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(200); // dropped links come back offlineFor after they dropped; the deadline bounds it
        }
        long agents = fleet.agents().size();
        double online = HubMetrics.value(hub, "gk8s_nodes_online", "");
        while (online < agents && System.nanoTime() < deadline) {
            Thread.sleep(500); // the hub's gauge follows a flush and a sweep (≤ 1.25 s)
            online = HubMetrics.value(hub, "gk8s_nodes_online", "");
        }
        report.put("failing_sites", failingSites.size()).put("failing_sites_degraded", degraded)
                .put("slow_agents", slow.size()).put("slow_by_ms", t.slowBy().toMillis())
                .put("slow_agents_checked_visible", slowVisible + " of " + Math.min(20, slow.size()))
                .put("offline_periods", fleet.counters().offlinePeriods())
                .put("offline_periods_back_online", fleet.counters().backOnline())
                .put("nodes_online_at_end", (long) online);
    }

    private static JsonNode site(HubProcess hub, String site) throws InterruptedException, IOException {
        var r = hub.get("/api/v1/sites/" + site);
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
    }
}
