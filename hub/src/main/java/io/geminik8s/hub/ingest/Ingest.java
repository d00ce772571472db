package io.geminik8s.hub.ingest;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.LogBudget;
import io.geminik8s.hub.presence.PresenceBuffer;
import io.geminik8s.hub.witness.WitnessService;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.DecodeError;
import io.geminik8s.protocol.Decoded;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.Message;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * MQTT ingest: decodes everything nodes publish (the ingest subscription, {@link IngestClient}) and hands it to the
 * presence buffer with its acknowledgement, which is sent once its effect is committed. Pure in-memory work. A
 * malformed or hostile payload is counted by reason, logged at a bounded rate, acknowledged and dropped; it never
 * stops ingest.
 */
@ApplicationScoped
public class Ingest {

    private static final Logger LOG = Logger.getLogger(Ingest.class);

    private final Codec codec;
    private final PresenceBuffer buffer;
    private final WitnessService witness;
    private final Map<Kind, Counter> received = new EnumMap<>(Kind.class);
    private final Map<DecodeError.Reason, Counter> errors = new EnumMap<>(DecodeError.Reason.class);
    private final LogBudget logs;

    private final io.geminik8s.hub.rollout.RotationResults results;
    private final io.geminik8s.hub.backup.RestoreResults restores;

    public Ingest(Codec codec, PresenceBuffer buffer, HubConfig config, WitnessService witness,
                  MeterRegistry registry, io.geminik8s.hub.rollout.RotationResults results,
                  io.geminik8s.hub.backup.RestoreResults restores) {
        this.results = results;
        this.restores = restores;
        this.codec = codec;
        this.witness = witness;
        this.buffer = buffer;
        this.logs = new LogBudget(config::decodeErrorLogsPerMinute);
        for (Kind k : Kind.values()) {
            received.put(k, Counter.builder("gk8s.messages.in").tag("kind", k.segment)
                    .description("Messages ingested, by kind").register(registry));
        }
        for (DecodeError.Reason r : DecodeError.Reason.values()) {
            errors.put(r, Counter.builder("gk8s.decode.errors").tag("reason", r.label())
                    .description("Payloads refused, by reason").register(registry));
        }
    }

    /** Decodes and buffers one payload; {@code ack} runs once it is committed, or at once if it is refused. */
    public void accept(String topic, byte[] payload, boolean retained, Runnable ack) {
        try {
            Decoded<io.geminik8s.protocol.Message> d = codec.decode(topic, payload);
            if (d instanceof Decoded.Failed<io.geminik8s.protocol.Message> f) {
                refused(topic, f.error());
                ack.run();
                return;
            }
            io.geminik8s.protocol.Message m = d.orThrow();
            Kind kind = Kind.of(m);
            if (!kind.up) {
                refused(topic, new DecodeError(DecodeError.Reason.UNKNOWN_TOPIC, null, kind + " is not a node message"));
                ack.run();
                return;
            }
            received.get(kind).increment();
            buffer.accept(m, retained, System.currentTimeMillis(), ack);
            if (m instanceof WitnessRequest w && !retained) {
                witness.handle(w);
            }
            if (m instanceof io.geminik8s.protocol.CommandResult r && !retained) {
                results.accept(r);
                restores.accept(r);
            }
        } catch (RuntimeException e) { // defence in depth: ingest must go on
            refused(topic, new DecodeError(DecodeError.Reason.MALFORMED_JSON, null, e.toString()));
            ack.run();
        }
    }

    private void refused(String topic, DecodeError error) {
        errors.get(error.reason()).increment();
        if (logs.allow()) {
            LOG.warnf("refused payload on %s: %s", abbreviate(topic), error);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
