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
    void aRequestMarksTheLinkUrgentForTheWindowEvenWhenItCannotBeSent() throws Exception {
        WitnessClient client = new WitnessClient("s1", "a", new Codec(),
                (topic, payload) -> CompletableFuture.failedFuture(new IOException("link down")), Duration.ofSeconds(2));
        assertFalse(client.askedWithin(Duration.ofSeconds(5)), "nothing asked yet");

        CompletableFuture<?> reply = client.ask(WitnessRequest.Op.PROMOTE, 2, "b", 1_600L);
        assertThrows(ExecutionException.class, reply::get, "the failed publish fails the request at once");

        assertTrue(client.askedWithin(Duration.ofSeconds(5)), "asked just now");
        long asked = System.nanoTime();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2))
                .until(() -> !client.askedWithin(Duration.ofMillis(200)));
        assertTrue(System.nanoTime() - asked >= Duration.ofMillis(200).toNanos(), "urgent for the whole window");
    }
}
