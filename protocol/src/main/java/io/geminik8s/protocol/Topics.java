package io.geminik8s.protocol;

import java.util.Optional;

/**
 * The MQTT topic scheme. The prefix names the protocol major version; "up" topics are published by nodes, "down"
 * topics by the hub, so a broker ACL per node is two prefixes:
 *
 * <pre>
 * gk8s/v1/up/{site}/{node}/{birth|status|health|event|result|witness}
 * gk8s/v1/down/{site}/desired                (retained)
 * gk8s/v1/down/{site}/{node}/{cmd|witness}
 * </pre>
 */
public final class Topics {

    public static final String PREFIX = "gk8s/v1/";
    /** Everything nodes publish; the hub subscribes to it (plainly by default, with a persistent session). */
    public static final String ALL_UP = PREFIX + "up/#";

    private Topics() {
    }

    /** A parsed topic: site always set, node null for site-level topics. */
    public record Address(Kind kind, String site, String node) {
    }

    public static String up(String site, String node, Kind kind) {
        if (!kind.up) {
            throw new IllegalArgumentException(kind + " is not published by nodes");
        }
        return PREFIX + "up/" + site + "/" + node + "/" + kind.segment;
    }

    public static String desired(String site) {
        return PREFIX + "down/" + site + "/desired";
    }

    public static String command(String site, String node) {
        return down(site, node, Kind.COMMAND);
    }

    public static String down(String site, String node, Kind kind) {
        if (kind.up || kind == Kind.DESIRED) {
            throw new IllegalArgumentException(kind + " is not a hub-to-node kind");
        }
        return PREFIX + "down/" + site + "/" + node + "/" + kind.segment;
    }

    public static String topicOf(Message m) {
        Kind kind = Kind.of(m);
        if (m instanceof DesiredState d) {
            return desired(d.site());
        }
        String node = ((NodeMessage) m).node();
        return kind.up ? up(m.site(), node, kind) : down(m.site(), node, kind);
    }

    public static Optional<Address> parse(String topic) {
        if (topic == null || !topic.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] p = topic.substring(PREFIX.length()).split("/", -1);
        Kind kind = null;
        String site = null;
        String node = null;
        if (p.length == 4 && p[0].equals("up")) {
            kind = Kind.bySegment(p[3], true);
            site = p[1];
            node = p[2];
        } else if (p.length == 3 && p[0].equals("down")) {
            kind = p[2].equals(Kind.DESIRED.segment) ? Kind.DESIRED : null;
            site = p[1];
        } else if (p.length == 4 && p[0].equals("down")) {
            kind = Kind.bySegment(p[3], false);
            kind = kind == Kind.DESIRED ? null : kind;
            site = p[1];
            node = p[2];
        }
        if (kind == null || !Rules.ID.matcher(site).matches() || (node != null && !Rules.ID.matcher(node).matches())) {
            return Optional.empty();
        }
        return Optional.of(new Address(kind, site, node));
    }
}
