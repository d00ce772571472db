package io.geminik8s.hub.rollout;

import java.time.Duration;
import java.util.List;

/**
 * How a rollout moves its sites: a canary ({@code "1"} sites or {@code "2%"}), then waves as growing shares ending at
 * 100 %, a soak per wave (every site of the wave must stay healthy that long before the next wave starts), at most
 * {@code maxInFlight} sites changing at once, the share of failed sites in a wave that stops the rollout, and what
 * stopping means ({@code PAUSE}, or {@code ABORT} = roll the touched sites back to their previous revision).
 * {@code siteTimeout}: a site that started and has not proven healthy by then counts as failed.
 */
public record Strategy(String canary, List<String> waves, Duration soak, int maxInFlight, double failureThreshold,
                       OnFailure onFailure, Duration siteTimeout, boolean pauseAfterEachWave, boolean joinLateSites) {

    public enum OnFailure { PAUSE, ABORT }

    public Strategy {
        waves = List.copyOf(waves);
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1");
        }
        if (failureThreshold < 0 || failureThreshold > 1) {
            throw new IllegalArgumentException("failureThreshold must be within [0, 1]");
        }
    }

    /** Cumulative site counts per wave for {@code n} sites: wave 0 is the canary; the last wave holds all. */
    public List<Integer> waveSizes(int n) {
        java.util.ArrayList<Integer> sizes = new java.util.ArrayList<>();
        int canaryCount = canary.endsWith("%") ? (int) Math.ceil(n * Integer.parseInt(canary.replace("%", "")) / 100.0)
                : Integer.parseInt(canary);
        sizes.add(Math.min(n, Math.max(1, canaryCount)));
        for (String w : waves) {
            int cum = (int) Math.ceil(n * Integer.parseInt(w.replace("%", "")) / 100.0);
            if (cum > sizes.get(sizes.size() - 1)) {
                sizes.add(Math.min(n, cum));
            }
        }
        if (sizes.get(sizes.size() - 1) < n) {
            sizes.add(n);
        }
        return sizes;
    }
}
