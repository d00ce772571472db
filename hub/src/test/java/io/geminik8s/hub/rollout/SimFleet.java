package io.geminik8s.hub.rollout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The simulated sites a test starts ({@link SimSite}: two nodes each, online), closed together after it. */
public final class SimFleet implements AutoCloseable {

    private final List<SimSite> sites = new ArrayList<>();

    /** A site online with {@code labels}; {@code split}: both its nodes report primary. */
    public SimSite sim(String id, Map<String, String> labels, boolean split) {
        SimSite s = new SimSite(id, labels);
        s.bothPrimary = split;
        sites.add(s);
        return s.online();
    }

    /** A site set up by the caller, brought online and closed with the others. */
    public SimSite add(SimSite s) {
        sites.add(s);
        return s.online();
    }

    @Override
    public void close() {
        sites.forEach(SimSite::close);
    }
}
