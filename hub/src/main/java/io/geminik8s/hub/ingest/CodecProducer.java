package io.geminik8s.hub.ingest;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.protocol.Codec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** The protocol codec, with the hub's payload limit. */
public class CodecProducer {

    @Produces
    @ApplicationScoped
    Codec codec(HubConfig config) {
        return new Codec(config.maxPayloadBytes());
    }
}
