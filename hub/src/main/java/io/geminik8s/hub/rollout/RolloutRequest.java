package io.geminik8s.hub.rollout;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.template.SiteTemplate;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A rollout as asked for ({@code POST /api/v1/rollouts}). Absent strategy fields come from the template revision's
 * {@code rollout} defaults, then from the built-in ones (see docs/rollouts.md for why each is what it is).
 *
 * @param selector   labels a site must carry (all of them); empty = every site bound to the template
 * @param window     optional maintenance window, in each site's {@code tz} label's zone
 * @param prestage   with a window: how long before its window opens a site may receive the revision with
 *                   "activate not before" (ISO-8601 duration, e.g. PT1H; absent = no pre-staging)
 * @param kind       {@code template} (absent: a template revision) or {@code certificate-rotation} (no template, no
 *                   revision: the selected sites' nodes renew their certificates, standby first)
 */
public record RolloutRequest(String template, Integer toRevision, Map<String, String> selector, StrategyDto strategy,
                             WindowDto window, String prestage, String kind) {

    public static final String TEMPLATE = "template";
    public static final String ROTATION = "certificate-rotation";

    public String kindOrDefault() {
        return kind == null ? TEMPLATE : kind;
    }

    public boolean rotation() {
        return ROTATION.equals(kind);
    }

    public record StrategyDto(String canary, List<String> waves, String soak, Integer maxInFlight,
                              Double failureThreshold, String onFailure, String siteTimeout,
                              Boolean pauseAfterEachWave, Boolean joinLateSites) {
    }

    public record WindowDto(String cron, String duration) {
    }

    /** The strategy with every default filled in; ApiProblem 400 naming the field when a value is wrong. */
    public Strategy resolve(SiteTemplate.RolloutDefaults d) {
        StrategyDto s = strategy == null ? new StrategyDto(null, null, null, null, null, null, null, null, null)
                : strategy;
        String canary = first(s.canary(), d == null ? null : d.canary(), "1");
        List<String> waves = first(s.waves(), d == null ? null : d.waves(), List.of("10%", "50%", "100%"));
        checkShare("strategy.canary", canary, true);
        int last = 0;
        for (String w : waves) {
            checkShare("strategy.waves", w, false);
            int pct = Integer.parseInt(w.substring(0, w.length() - 1));
            if (pct <= last) {
                throw ApiProblem.badRequest("strategy.waves: shares must grow, got " + waves);
            }
            last = pct;
        }
        Duration soak = s.soak() != null ? duration("strategy.soak", s.soak())
                : d != null && d.soakMinutes() != null ? Duration.ofMinutes(d.soakMinutes()) : Duration.ofMinutes(10);
        Duration timeout = s.siteTimeout() != null ? duration("strategy.siteTimeout", s.siteTimeout())
                : Duration.ofMinutes(30);
        String onFailure = first(s.onFailure(), d == null ? null : d.onFailure(), "pause");
        Strategy.OnFailure of;
        try {
            of = Strategy.OnFailure.valueOf(onFailure.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("strategy.onFailure must be pause or abort, got '" + onFailure + "'");
        }
        try {
            return new Strategy(canary, waves, soak,
                    first(s.maxInFlight(), d == null ? null : d.maxInFlight(), 50),
                    first(s.failureThreshold(), d == null ? null : d.failureThreshold(), 0.05), of, timeout,
                    first(s.pauseAfterEachWave(), null, false), first(s.joinLateSites(), null, true));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("strategy." + e.getMessage());
        }
    }

    /** The window, or null; ApiProblem 400 when malformed. */
    public MaintenanceWindow resolveWindow() {
        if (window == null) {
            if (prestage != null) {
                throw ApiProblem.badRequest("prestage needs a window");
            }
            return null;
        }
        try {
            return MaintenanceWindow.of(window.cron(), window.duration() == null ? null
                    : duration("window.duration", window.duration()));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
    }

    public Duration resolvePrestage() {
        return prestage == null ? Duration.ZERO : duration("prestage", prestage);
    }

    public void checkTarget() {
        if (!TEMPLATE.equals(kindOrDefault()) && !ROTATION.equals(kind)) {
            throw ApiProblem.badRequest("kind must be " + TEMPLATE + " or " + ROTATION + ", got '" + kind + "'");
        }
        if (rotation()) {
            if (template != null || toRevision != null) {
                throw ApiProblem.badRequest("a " + ROTATION + " rollout takes no template and no toRevision");
            }
            if (prestage != null) {
                throw ApiProblem.badRequest("prestage: a " + ROTATION + " rollout has nothing to pre-stage");
            }
            return;
        }
        List<String> missing = new ArrayList<>();
        if (template == null || template.isBlank()) {
            missing.add("template");
        }
        if (toRevision == null) {
            missing.add("toRevision");
        }
        if (!missing.isEmpty()) {
            throw ApiProblem.badRequest("missing " + String.join(", ", missing));
        }
    }

    private static void checkShare(String field, String v, boolean countAllowed) {
        if (v == null || !(v.matches("[1-9][0-9]?%|100%") || (countAllowed && v.matches("[1-9][0-9]{0,6}")))) {
            throw ApiProblem.badRequest(field + ": '" + v + "' must be " + (countAllowed ? "a count or " : "")
                    + "a share like 10% (1–100)");
        }
    }

    private static Duration duration(String field, String v) {
        try {
            Duration d = Duration.parse(v);
            if (d.isNegative()) {
                throw ApiProblem.badRequest(field + " must not be negative");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest(field + ": '" + v + "' is not an ISO-8601 duration like PT10M");
        }
    }

    private static <T> T first(T a, T b, T c) {
        return a != null ? a : b != null ? b : c;
    }
}
