package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RestoreTargetTest {

    private static final Instant NOW = Instant.parse("2026-11-30T04:00:00Z");

    @Test
    void anOffsetTimeIsTheMomentItNames() {
        assertEquals(Optional.of(Instant.parse("2026-11-30T01:03:28Z")), RestoreTarget.parse("2026-11-30T01:03:28Z", NOW));
        assertEquals(Optional.of(Instant.parse("2026-11-30T01:03:28.500Z")),
                RestoreTarget.parse("2026-11-30T02:03:28.5+01:00", NOW));
        assertEquals(Optional.empty(), RestoreTarget.parse(null, NOW));
        assertEquals(Optional.empty(), RestoreTarget.parse("  ", NOW));
    }

    @Test
    void oddTimesAreRefusedWithTheReason() {
        for (String bad : new String[] {"yesterday", "2026-11-30 01:03:28", "2026-11-30T01:03:28", "2026-11-30",
                "1764464608", "2026-13-30T01:03:28Z", "2026-11-31T01:03:28Z", "2026-11-30T25:03:28Z",
                "2026-11-30T01:03:28+25:00", "2026-11-30T01:03:28Z; rm -rf /", "2026-11-30T01:03:28Z\n",
                "-2026-11-30T01:03:28Z", "+102026-11-30T01:03:28Z", "2026-11-30T01:03:28.1234567891Z",
                "1999-12-31T23:59:59Z", "2026-11-30T04:00:01Z", "２０２６-11-30T01:03:28Z"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RestoreTarget.parse(bad, NOW), bad);
            assertTrue(e.getMessage().startsWith("to: "), e.getMessage());
            assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f), e.getMessage());
        }
    }
}
