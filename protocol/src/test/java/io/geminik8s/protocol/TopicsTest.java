package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsTest {

    @Test
    void upTopicsCarrySiteNodeAndKind() {
        assertEquals("gk8s/v1/up/s1/a/health", Topics.up("s1", "a", Kind.HEALTH));
        assertEquals(new Topics.Address(Kind.EVENT, "s1", "b"), Topics.parse("gk8s/v1/up/s1/b/event").orElseThrow());
    }

    @Test
    void downTopicsParse() {
        assertEquals(new Topics.Address(Kind.DESIRED, "s1", null), Topics.parse(Topics.desired("s1")).orElseThrow());
        assertEquals(new Topics.Address(Kind.COMMAND, "s1", "a"), Topics.parse(Topics.command("s1", "a")).orElseThrow());
    }

    @Test
    void witnessRequestsGoUpAndRepliesComeDownOnTheSameSegment() {
        assertEquals(new Topics.Address(Kind.WITNESS, "s1", "b"), Topics.parse("gk8s/v1/up/s1/b/witness").orElseThrow());
        assertEquals(new Topics.Address(Kind.WITNESS_REPLY, "s1", "b"),
                Topics.parse(Topics.down("s1", "b", Kind.WITNESS_REPLY)).orElseThrow());
    }

    @Test
    void hubToNodeKindsCannotBeUpTopics() {
        assertThrows(IllegalArgumentException.class, () -> Topics.up("s1", "a", Kind.COMMAND));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gk8s/v2/up/s1/a/health", "gk8s/v1/up/s1/a/cmd", "gk8s/v1/up/S1/a/health",
            "gk8s/v1/up/s1/a/health/x", "gk8s/v1/down/s1/a/desired", "gk8s/v1/down/s1/health", "gk8s/v1/up/s1//health",
            "other/v1/up/s1/a/health"})
    void foreignOrMalformedTopicsAreRejected(String topic) {
        assertTrue(Topics.parse(topic).isEmpty(), topic);
    }
}
