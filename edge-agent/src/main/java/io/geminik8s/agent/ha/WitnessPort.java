package io.geminik8s.agent.ha;

import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import java.util.concurrent.CompletableFuture;

/** The way to the hub's witness (over the agent's MQTT link in production). */
public interface WitnessPort {

    /** Completes with the reply, or exceptionally when none came in time. */
    CompletableFuture<WitnessReply> ask(WitnessRequest.Op op, long epoch, String peer, Long sinceLastAckMs);
}
