package io.geminik8s.agent.ha;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.WitnessRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class WitnessClientTest {

    @Test
    void repeatedRequestsMarkTheLinkUrgentEvenWhenTheyCannotBeSentButALoneLeaseCheckDoesNot() throws Exception {
        WitnessClient client = new WitnessClient("s1", "a", new Codec(),
                (topic, payload) -> CompletableFuture.failedFuture(new IOException("link down")), Duration.ofSeconds(2));
        assertFalse(client.askingRepeatedly(Duration.ofSeconds(5)), "nothing asked yet");

        CompletableFuture<?> check = client.ask(WitnessRequest.Op.RENEW, 1, null, null); // a primary's lease check
        assertThrows(ExecutionException.class, check::get, "the failed publish fails the request at once");
        assertFalse(client.askingRepeatedly(Duration.ofSeconds(5)), "one request (every 30 s) is no failover");

        long asked = System.nanoTime(); // before the request: a busy machine may pause this thread right after it
        client.ask(WitnessRequest.Op.PROMOTE, 2, "b", 1_600L); // a candidate asks again every ha.hub-retry-ms
        assertTrue(client.askingRepeatedly(Duration.ofSeconds(5)), "asking again and again: urgent");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2))
                .until(() -> !client.askingRepeatedly(Duration.ofMillis(200)));
        assertTrue(System.nanoTime() - asked >= Duration.ofMillis(200).toNanos(),
                "urgent for the window after the second request");
    }
}
