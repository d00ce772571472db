package io.geminik8s.loadtest.scenario;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finding the knee: the steady state at growing fleet sizes (a fresh hub each step) until the p99 ingest-to-visible
 * latency passes 2 s, events are lost, or a step fails (e.g. the machine's open-file limit stops connections);
 * reports every step and the largest size that held.
 */
public final class Knee {

    static final long P99_LIMIT_MS = 2_000;

    private Knee() {
    }

    /**
     * Steps through every size, and for each size through every health interval (shortest last: the message rate
     * grows with each step); stops at the first step that breaks. A step's {@code agents_equivalent_at_30s} is the
     * fleet that sends the same message rate at the field's 30 s interval.
     */
    public static Report run(List<Integer> sizes, List<Duration> healthIntervals, SteadyState.Settings base)
            throws Exception {
        Report report = new Report().put("scenario", "knee").put("health_interval_s", healthIntervals.stream()
                        .map(h -> Long.toString(h.toSeconds())).collect(java.util.stream.Collectors.joining(",")))
                .put("hub_jvm_flags", String.join(" ", base.hubJvmFlags())).put("p99_limit_ms", P99_LIMIT_MS);
        long held = 0;
        long heldEquivalent = 0;
        String stoppedBy = "all steps held";
        steps:
        for (int n : sizes) {
            for (Duration health : healthIntervals) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("agents", n);
                row.put("health_s", health.toSeconds());
                long equivalent = n * 30L / Math.max(1, health.toSeconds());
                row.put("agents_equivalent_at_30s", equivalent);
                try {
                    Path work = Files.createTempDirectory("gk8s-knee");
                    Report r = SteadyState.run(new SteadyState.Settings(n, health, base.ramp(), base.hold(),
                            base.eventsPerSecond(), base.probes(), base.hubJvmFlags(), base.hubJar(), work, base.troubles()));
                    for (String k : List.of("ingest_p50_ms", "ingest_p99_ms", "ingest_p999_ms", "messages_per_s",
                            "hub_rss_mb", "hub_heap_used_mb", "hub_heap_live_mb", "hub_cpu_pct", "hub_jvm_cpu_pct", "pg_cpu_pct", "simulator_cpu_pct", "machine_cpu_pct", "machine_kernel_pct",
                            "pg_rows_written_per_s", "events_lost")) {
                        row.put(k, r.get(k));
                    }
                    report.sample(row);
                    deleteTree(work);
                    long p99 = ((Number) r.get("ingest_p99_ms")).longValue();
                    long lost = ((Number) r.get("events_lost")).longValue();
                    if (p99 > P99_LIMIT_MS || lost > 0) {
                        stoppedBy = n + " agents at " + health.toSeconds() + " s: p99 " + p99 + " ms, " + lost
                                + " events lost";
                        break steps;
                    }
                    held = n;
                    heldEquivalent = Math.max(heldEquivalent, equivalent);
                } catch (Exception e) {
                    row.put("error", e.toString());
                    report.sample(row);
                    stoppedBy = n + " agents at " + health.toSeconds() + " s: " + e;
                    break steps;
                }
            }
        }
        return report.put("agents", held).put("sites", held / 2).put("largest_agents_holding", held)
                .put("largest_agents_equivalent_at_30s", heldEquivalent).put("stopped_by", stoppedBy);
    }

    /** Removes a scenario's work folder (the hub's data: PostgreSQL and broker files). */
    public static void deleteTree(Path p) throws java.io.IOException {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
