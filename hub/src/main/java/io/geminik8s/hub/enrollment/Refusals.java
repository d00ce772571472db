package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.LogBudget;
import io.geminik8s.hub.api.ApiProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Refused enrollments and renewals — the endpoints anyone can reach — counted by endpoint and status
 * ({@code gk8s_enroll_refused_total}) and logged at most {@code gk8s.enrollment.refusal-logs-per-minute} times a
 * minute with the claimed identity, the reason and the caller's address (never a token).
 */
@ApplicationScoped
public class Refusals {

    private static final Logger LOG = Logger.getLogger(Refusals.class);
    private final MeterRegistry registry;
    private final LogBudget budget;

    public Refusals(MeterRegistry registry, EnrollmentConfig config) {
        this.registry = registry;
        this.budget = new LogBudget(config::refusalLogsPerMinute);
    }

    <T> Uni<T> watch(String endpoint, String who, String address, Uni<T> work) {
        return work.onFailure().invoke(e -> {
            String status = e instanceof ApiProblem p ? Integer.toString(p.status()) : "error";
            Counter.builder("gk8s.enroll.refused").tag("endpoint", endpoint).tag("status", status)
                    .description("Refused enrollment and renewal requests").register(registry).increment();
            if (budget.allow()) {
                String id = who.length() > 140 ? who.substring(0, 140) + "..." : who;
                LOG.warnf("%s refused (%s) for %s from %s: %s", endpoint, status,
                        id.replaceAll("\\p{Cntrl}", "?"), address, e.getMessage());
            }
        });
    }
}
