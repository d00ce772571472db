package io.geminik8s.protocol;

import java.util.Locale;

/**
 * Where a standby's rebuild ({@code standby-rebuild}, args {@code from}) takes its data: a fresh base backup of the
 * primary's, the central backup repository's newest backup and archived WAL, or the peer repository's on the
 * standby's own disk ({@code spec.backup.peerRepository}; no network for the bulk). With either repository the
 * primary streams only the rest. One parser for the hub's API and the agent.
 */
public enum StandbySource {
    PRIMARY, REPOSITORY, PEER;

    /** {@code null} or empty: {@link #PRIMARY}; otherwise {@code primary}, {@code repository} or {@code peer}, exactly. */
    public static StandbySource parse(String from) {
        if (from == null || from.isEmpty()) {
            return PRIMARY;
        }
        return switch (from) {
            case "primary" -> PRIMARY;
            case "repository" -> REPOSITORY;
            case "peer" -> PEER;
            default -> throw new IllegalArgumentException("from: primary, repository or peer, got '"
                    + (from.length() > 40 ? from.substring(0, 40) + "..." : from).replaceAll("[^\\x20-\\x7e]", "?")
                    + "'");
        };
    }

    /** The name in the API and the command's args. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
