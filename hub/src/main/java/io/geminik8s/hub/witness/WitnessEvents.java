package io.geminik8s.hub.witness;

import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.WitnessReply.Outcome;
import io.geminik8s.protocol.WitnessRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a witness decision means for the site's history, as events shown by {@code GET /api/v1/sites/{id}/events}
 * (node {@code _witness}). Pure: the store writes them in the decision's transaction.
 */
public final class WitnessEvents {

    public static final String NODE = "_witness";

    /** {@code once}: a key under which the event is stored at most once per site and type (null: always). */
    public record SiteEvent(String type, Severity severity, String message, Map<String, String> attrs, String once) {
    }

    private WitnessEvents() {
    }

    public static List<SiteEvent> of(LeaseState before, WitnessRequest r, WitnessRules.Decision d, long now) {
        LeaseState after = d.next();
        if (after.epoch() > before.epoch()) {
            if (before.epoch() == 0) {
                return List.of(event("witness.bootstrap", Severity.INFO, after.holder() + " holds epoch 1", null,
                        "epoch", "1", "holder", after.holder()));
            }
            if (r.op() == WitnessRequest.Op.REBUILD) {
                return List.of(event("witness.rebuild-granted", Severity.WARNING, after.holder() + " took epoch "
                                + after.epoch() + " to rebuild the site from its backup repository (" + d.reason()
                                + ")", null, "epoch", Long.toString(after.epoch()), "holder", after.holder(),
                        "previous", String.valueOf(before.holder())));
            }
            if (r.op() == WitnessRequest.Op.FORCE) {
                return List.of(event("witness.forced-promotion", Severity.CRITICAL, after.holder() + " took epoch "
                                + after.epoch() + " by its operator's force-promote; writes of " + before.holder()
                                + " after its last synchronous commit may be lost", null,
                        "epoch", Long.toString(after.epoch()), "holder", after.holder(), "previous",
                        String.valueOf(before.holder())));
            }
            if (before.released()) {
                return List.of(event("witness.switchover-finished", Severity.INFO, "epoch " + after.epoch()
                                + " granted to " + after.holder() + "; " + before.holder() + " released it for a planned"
                                + " switchover", null, "epoch", Long.toString(after.epoch()), "holder", after.holder(),
                        "previous", before.holder()));
            }
            return List.of(event("witness.failover-finished", Severity.WARNING, "epoch " + after.epoch() + " granted to "
                            + after.holder() + "; " + before.holder() + " last renewed "
                            + (now - before.holderRenewedAt()) + " ms ago", null,
                    "epoch", Long.toString(after.epoch()), "holder", after.holder(), "previous", before.holder(),
                    "standby_silent_ms", String.valueOf(r.sinceLastAckMs()),
                    "holder_renewed_ms_ago", Long.toString(now - before.holderRenewedAt())));
        }
        if (r.op() == WitnessRequest.Op.RELEASE && d.outcome() == Outcome.GRANTED && !before.released()) {
            String epoch = Long.toString(r.epoch());
            return List.of(event("witness.switchover-started", Severity.INFO, r.node() + " fenced itself and released"
                    + " epoch " + epoch + " for a planned switchover", epoch, "epoch", epoch, "holder", r.node()));
        }
        if (r.op() == WitnessRequest.Op.PROMOTE && d.outcome() == Outcome.WAIT && r.epoch() == before.epoch() + 1) {
            String epoch = Long.toString(r.epoch());
            return List.of(event("witness.failover-started", Severity.WARNING, r.node() + " lost " + before.holder()
                            + " and asks for epoch " + epoch, epoch,
                    "epoch", epoch, "candidate", r.node(), "holder", before.holder(),
                    "standby_silent_ms", String.valueOf(r.sinceLastAckMs())));
        }
        if (r.op() == WitnessRequest.Op.FORCE && d.outcome() == Outcome.REFUSED) {
            return List.of(event("witness.force-refused", Severity.WARNING, d.reason(), r.epoch() + "/" + r.node(),
                    "epoch", Long.toString(r.epoch()), "node", r.node()));
        }
        if (r.op() != WitnessRequest.Op.PROMOTE && d.outcome() == Outcome.REFUSED && r.epoch() < before.epoch()
                && !r.node().equals(before.holder())) {
            return List.of(event("witness.split-prevented", Severity.WARNING, r.node() + " still acts for epoch "
                            + r.epoch() + "; epoch " + before.epoch() + " is held by " + before.holder()
                            + ": told to step down", r.epoch() + "/" + r.node(),
                    "epoch", Long.toString(before.epoch()), "stale_epoch", Long.toString(r.epoch()), "node", r.node(),
                    "holder", String.valueOf(before.holder())));
        }
        if (after.standbyEligible() != before.standbyEligible() && after.epoch() == before.epoch()
                && after.standby() != null) {
            return List.of(after.standbyEligible()
                    ? event("witness.standby-eligible", Severity.INFO, after.standby() + " streams synchronously: it"
                            + " may be promoted", null, "epoch", Long.toString(after.epoch()), "standby", after.standby())
                    : event("witness.standby-lost", Severity.WARNING, after.standby() + " is not sync-eligible: "
                            + after.holder() + " writes alone", null, "epoch", Long.toString(after.epoch()),
                            "standby", after.standby()));
        }
        return List.of();
    }

    private static SiteEvent event(String type, Severity severity, String message, String once, String... kv) {
        Map<String, String> attrs = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            attrs.put(kv[i], kv[i + 1]);
        }
        if (once != null) {
            attrs.put("once", once);
        }
        return new SiteEvent(type, severity, message, attrs, once);
    }
}
