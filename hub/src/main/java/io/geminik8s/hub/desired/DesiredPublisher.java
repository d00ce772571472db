package io.geminik8s.hub.desired;

import io.geminik8s.hub.ingest.IngestClient;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.Periodic;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.DesiredState;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Topics;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Every interval: binds sites that match exactly one template, then publishes each new generation retained on
 * {@code gk8s/v1/down/{site}/desired} (QoS 1) and marks the round's acknowledged ones published in one statement
 * (it was one per site: the 50,000-site rollout measured it as the bound) — a hub crash between the two republishes
 * the same generations, which agents ignore as already applied.
 */
@ApplicationScoped
public class DesiredPublisher {

    private static final Logger LOG = Logger.getLogger(DesiredPublisher.class);

    private final DesiredStore store;
    private final DesiredConfig config;
    private final Codec codec;
    private final ObjectMapper json;
    private final IngestClient down;
    private volatile Periodic.Job job;

    public DesiredPublisher(DesiredStore store, DesiredConfig config, Codec codec, ObjectMapper json,
                            IngestClient down) {
        this.store = store;
        this.config = config;
        this.codec = codec;
        this.json = json;
        this.down = down;
    }

    void schedule(@Observes StartupEvent ev, Vertx vertx) {
        job = Periodic.every(vertx, config.interval(), this::tick);
    }

    /** Publish now rather than at the next interval: new generations are waiting (a rollout just started sites). */
    public void nudge() {
        Periodic.Job j = job;
        if (j != null) {
            j.soon(Duration.ZERO);
        }
    }

    Uni<Void> tick() {
        return store.bind().chain(() -> store.pending(config.batch()))
                .chain(pending -> Multi.createFrom().iterable(pending)
                        .onItem().transformToUni(b -> publish(b).replaceWith(b)
                                .onFailure().recoverWithItem(e -> {
                                    LOG.warnf("desired state of %s (generation %d) not published: %s", b.site(),
                                            b.generation(), e.toString());
                                    return null;
                                }))
                        .merge(64).collect().asList()
                        .chain(sent -> {
                            var ok = sent.stream().filter(java.util.Objects::nonNull).toList();
                            return store.published(ok).invoke(() -> {
                                if (pending.size() >= config.batch() && !ok.isEmpty()) {
                                    nudge(); // a full batch went out: more may be waiting (not when the broker refuses)
                                }
                            });
                        }));
    }

    private Uni<Void> publish(DesiredStore.Binding b) {
        try {
            byte[] payload = payload(codec, json, b, json.readTree(b.overrides()), b.generation());
            if (payload.length > config.maxBytes()) { // a template revision too large: never offered to the broker
                return Uni.createFrom().failure(new IllegalStateException("desired state is " + payload.length
                        + " bytes, over gk8s.desired.max-bytes=" + config.maxBytes()));
            }
            return down.publish(Topics.desired(b.site()), payload, true);
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
    }

    /** The message published for a binding, with the given overrides and generation. */
    static byte[] payload(Codec codec, ObjectMapper json, DesiredStore.Binding b, JsonNode overrides, long generation)
            throws JsonProcessingException {
        var spec = DesiredSpec.compose(json, b.template(), b.revision(), json.readTree(b.templateJson()), overrides);
        return codec.encode(new DesiredState(SchemaVersion.CURRENT.toString(), b.site(), generation,
                System.currentTimeMillis(), spec, b.activateNotBefore()));
    }
}
