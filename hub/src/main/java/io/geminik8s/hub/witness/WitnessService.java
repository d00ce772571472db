package io.geminik8s.hub.witness;

import io.geminik8s.hub.ingest.IngestClient;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Topics;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Answers witness requests arriving through ingest: decide against the durable record, reply on the node's
 * {@code down/…/witness} topic with the request id. Non-blocking; a request whose decision fails gets no answer
 * (the node asks again after its retry interval) — never a guess.
 */
@ApplicationScoped
public class WitnessService {

    private static final Logger LOG = Logger.getLogger(WitnessService.class);

    private final WitnessStore store;
    private final Codec codec;
    private final IngestClient down;
    private final MeterRegistry registry;

    public WitnessService(WitnessStore store, Codec codec, IngestClient down,
                          MeterRegistry registry) {
        this.store = store;
        this.codec = codec;
        this.down = down;
        this.registry = registry;
    }

    public void handle(WitnessRequest r) {
        store.decide(r).subscribe().with(d -> {
            registry.counter("gk8s.witness.decisions", "op", r.op().json(), "outcome", d.outcome().json())
                    .increment();
            boolean newHolder = r.op() == WitnessRequest.Op.PROMOTE || r.op() == WitnessRequest.Op.FORCE
                    || r.op() == WitnessRequest.Op.REBUILD;
            if (d.next() != null && d.next().epoch() > 0 && newHolder && d.outcome() == WitnessReply.Outcome.GRANTED) {
                LOG.infof("witness: site %s epoch %d held by %s (%s)", r.site(), d.next().epoch(), d.next().holder(),
                        d.reason());
            }
            WitnessReply reply = new WitnessReply(SchemaVersion.CURRENT.toString(), r.id(), r.site(), r.node(),
                    System.currentTimeMillis(), d.outcome(), d.next() == null ? r.epoch() : d.next().epoch(),
                    d.next() == null ? null : d.next().holder(), d.leaseMs(), d.retryAfterMs(), d.reason(),
                    d.rebuildTo());
            down.publish(Topics.down(r.site(), r.node(), Kind.WITNESS_REPLY), codec.encode(reply), false).subscribe()
                    .with(ok -> { }, e -> LOG.debugf("witness reply to %s/%s not sent: %s", r.site(), r.node(), e));
        }, e -> LOG.warnf("witness request %s of %s/%s not decided: %s", r.id(), r.site(), r.node(), e.toString()));
    }
}
