package io.geminik8s.agent.demo;

import io.geminik8s.agent.upgrade.PairView;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Role;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A demo site's pair, simulated in the JVM where the demo runs no PostgreSQL: one node primary, the other a
 * streaming standby; a planned switchover swaps them after {@code switchoverMs}, during which neither serves. What
 * each node announces reaches the other at once, as over the peer link. Not HA: only what the upgrade and the
 * health report need.
 */
final class DemoPair {

    private final long switchoverMs;
    private final Map<String, String> progress = new ConcurrentHashMap<>();
    private volatile String primary = "a";
    private volatile long switchingUntil;

    DemoPair(long switchoverMs) {
        this.switchoverMs = switchoverMs;
    }

    private boolean switching() {
        return System.currentTimeMillis() < switchingUntil;
    }

    /** What the node's health reports as its PostgreSQL. */
    Health.Pg pg(String node) {
        if (switching()) {
            return new Health.Pg(node.equals(primary) ? Role.PRIMARY : Role.STANDBY, null, false, null);
        }
        return node.equals(primary) ? new Health.Pg(Role.PRIMARY, null, null, null)
                : new Health.Pg(Role.STANDBY, 0L, true, null);
    }

    PairView view(String node, String peer) {
        return new PairView() {
            @Override
            public Role role() {
                return switching() ? Role.OTHER : node.equals(primary) ? Role.PRIMARY : Role.STANDBY;
            }

            @Override
            public String peerProgress() {
                return progress.get(peer);
            }

            @Override
            public void announce(String p) {
                if (p == null) {
                    progress.remove(node);
                } else {
                    progress.put(node, p);
                }
            }

            @Override
            public boolean peerSynchronous() {
                return !switching();
            }

            @Override
            public boolean streaming() {
                return !switching() && !node.equals(primary);
            }

            @Override
            public boolean handOver() {
                synchronized (DemoPair.this) {
                    if (switching() || !node.equals(primary)) {
                        return false;
                    }
                    primary = peer;
                    switchingUntil = System.currentTimeMillis() + switchoverMs;
                    return true;
                }
            }

            @Override
            public Boolean vipAnswers() {
                return !switching() && node.equals(primary) ? true : null;
            }
        };
    }
}
