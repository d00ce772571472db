package io.geminik8s.agent.ha;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Replay protection for the peer's datagrams: each sender numbers its datagrams 1, 2, 3… under a random boot id
 * drawn at start; a datagram is accepted only if its number is above the last one accepted under the same boot id.
 * The last number of the few most recent boot ids is kept, so replaying an earlier boot's datagrams cannot switch
 * the receiver back to it. Not thread-safe: used by the link's one receiving thread.
 */
final class ReplayGuard {

    private static final int BOOTS = 16;

    private final Map<Long, Long> lastSeqByBoot = new LinkedHashMap<>(BOOTS, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            return size() > BOOTS;
        }
    };

    /** Whether ({@code boot}, {@code seq}) is newer than anything accepted; if so it is remembered. */
    boolean accept(long boot, long seq) {
        Long last = lastSeqByBoot.get(boot);
        if (last != null && seq <= last) {
            return false;
        }
        lastSeqByBoot.put(boot, seq);
        return true;
    }
}
