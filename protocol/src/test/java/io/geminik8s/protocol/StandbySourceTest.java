package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StandbySourceTest {

    @Test
    void theTwoSourcesAndTheDefault() {
        assertEquals(StandbySource.PRIMARY, StandbySource.parse(null));
        assertEquals(StandbySource.PRIMARY, StandbySource.parse(""));
        assertEquals(StandbySource.PRIMARY, StandbySource.parse("primary"));
        assertEquals(StandbySource.REPOSITORY, StandbySource.parse("repository"));
        assertEquals("repository", StandbySource.REPOSITORY.wire());
        assertEquals(StandbySource.PEER, StandbySource.parse("peer"));
        assertEquals("peer", StandbySource.PEER.wire());
    }

    @Test
    void anythingElseIsNamedBackShortenedNeverGuessed() {
        for (String odd : new String[] {"Repository", "REPOSITORY", " repository", "repo", "disk", "primary\n",
                "reposıtory", "repository\u0000", "Peer", "peers"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StandbySource.parse(odd));
            assertTrue(e.getMessage().startsWith("from: primary, repository or peer, got '"), e.getMessage());
            assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c <= 0x7e), "no control or odd character"
                    + " echoed: " + e.getMessage());
        }
        String huge = "x".repeat(100_000);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StandbySource.parse(huge)).getMessage()
                .length() < 100, "a huge value is not echoed whole");
    }
}
