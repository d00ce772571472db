package io.geminik8s.agent.config;

import io.geminik8s.agent.ha.HaTiming;
import io.geminik8s.agent.ha.PeerKey;
import io.geminik8s.agent.pg.PgSecret;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * HA settings of a node ({@code ha.*}, {@code pg.*}, {@code vip.*}, {@code k3s.*}); absent unless
 * {@code ha.enabled=true}. Documented with the other keys in {@link ConfigLoader#KEYS}.
 */
public record HaSettings(String peerNode, InetSocketAddress listen, InetSocketAddress peerAddress, String initialRole,
                         Path pgBin, Path pgData, String pgHost, String pgListen, int pgPort, String pgPeerHost, int pgPeerPort,
                         String pgOsUser, String pgTrustedNetwork, PgSecret pgSecret, String pgClientNetwork, boolean pgTls, String vipCidr, String vipDevice, String vipNetns, String k3sUnit,
                         String k3sCommand, String k3sRotateCommand, HaTiming timing, PeerKey peerKey,
                         Path pgSocketDir, Path pgPeerData, Path pgPeerSocketDir) {

    public static final String KEYS = """
              ha.enabled                true to run the pair's HA supervisor (default false)
              ha.peer-node              the other node's id (required with HA)
              ha.listen                 UDP host:port for the peer link (default 0.0.0.0:7946)
              ha.peer-address           the peer's UDP host:port (required with HA); datagrams from any other
                                        address are dropped
              ha.peer-key-file          file holding the site's peer-link key, shared by both nodes (required with
                                        HA; at least 32 characters, e.g. openssl rand -hex 32; mode 0600)
              ha.initial-role           primary or standby: what a node with an empty pg.data becomes (required)
              ha.lease-ms / ha.peer-silence-ms / ha.heartbeat-ms / ha.hub-retry-ms
                                        3000 / 1500 / 250 / 500; the lease should equal the hub's
                                        gk8s.witness.lease: a longer one is cut to the hub's and reported
              pg.bin                    PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
              pg.data                   data directory (required with HA)
              pg.host / pg.port         this node's PostgreSQL address (default 127.0.0.1 / 5432)
              pg.listen                 addresses PostgreSQL listens on (default pg.host; add the VIP, with
                                        net.ipv4.ip_nonlocal_bind=1, so clients reach it through the VIP)
              pg.peer-host / pg.peer-port  the peer's PostgreSQL (required host; port default 5432)
              pg.os-user                OS user PostgreSQL runs as when the agent is root (default postgres)
              pg.secret-file            file holding the site's database secret, shared by both nodes (from
                                        enrollment, or openssl rand -hex 32; mode 0600): every connection to
                                        PostgreSQL proves a SCRAM password derived from it, one per role
              pg.client-network         with pg.secret-file: where clients may connect from besides loopback
                                        (a CIDR; default the site LAN of vip.address, e.g. 10.0.0.0/24)
              pg.tls                    on (default) or off: with pg.secret-file, the site network reaches
                                        PostgreSQL only over TLS (its own key and self-signed certificate, made
                                        anew at each certificate rotation) with SCRAM bound to that certificate
              pg.socket-dir             a private folder for PostgreSQL's Unix socket (0700, pg.os-user's; made at
                                        start), e.g. /run/gk8s-pg: needed for backups (pgBackRest reaches
                                        PostgreSQL only through a socket; docs/backup.md). Default none
              pg.peer-data / pg.peer-socket-dir
                                        the peer's pg.data and pg.socket-dir, which the standby names when it backs
                                        up into the peer repository (docs/backup.md); default this node's own
              pg.trusted-network        instead of pg.secret-file, for test setups only: a CIDR trusted without
                                        any password (HA needs one of the two; ignored when both are set)
              vip.address / vip.device  the site's VIP, e.g. 10.0.0.10/24 on eth0 (required with HA)
              vip.netns                 network namespace that holds vip.device (default: the agent's own)
              k3s.unit                  systemd unit of K3s (default k3s; none = do not manage K3s)
              k3s.command               instead of the unit: a command the agent runs as the K3s server, as its
                                        child (hosts without systemd; the HA harness's Kine stand-in)
              k3s.rotate-command        with k3s.command: what makes K3s re-issue its certificates while it is
                                        stopped, e.g. k3s certificate rotate (none: not rotated, and said so)
            """;

    static HaSettings parse(Function<String, String> get, List<String> problems) {
        if (!Boolean.parseBoolean(get.apply("ha.enabled"))) {
            return null;
        }
        String peerNode = required(get, "ha.peer-node", problems);
        String role = required(get, "ha.initial-role", problems);
        if (role != null && !role.equals("primary") && !role.equals("standby")) {
            problems.add("ha.initial-role: must be primary or standby, got '" + role + "'");
        }
        HaTiming timing = null;
        try {
            timing = new HaTiming(number(get, "ha.heartbeat-ms", 250, problems),
                    number(get, "ha.peer-silence-ms", 1500, problems), number(get, "ha.lease-ms", 3000, problems),
                    number(get, "ha.hub-retry-ms", 500, problems));
        } catch (IllegalArgumentException e) {
            problems.add("ha.peer-silence-ms: " + e.getMessage());
        }
        String vip = required(get, "vip.address", problems);
        if (vip != null && !vip.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}")) {
            problems.add("vip.address: must look like 10.0.0.10/24, got '" + vip + "'");
        }
        String pgData = required(get, "pg.data", problems);
        PeerKey peerKey = peerKey(get, problems);
        PgSecret pgSecret = pgSecret(get, problems);
        String k3s = get.apply("k3s.unit") == null ? "k3s" : get.apply("k3s.unit");
        return new HaSettings(peerNode, address(get, "ha.listen", "0.0.0.0:7946", problems),
                address(get, "ha.peer-address", null, problems), role,
                Path.of(orDefault(get, "pg.bin", "/usr/lib/postgresql/15/bin")), pgData == null ? null : Path.of(pgData),
                orDefault(get, "pg.host", "127.0.0.1"),
                orDefault(get, "pg.listen", orDefault(get, "pg.host", "127.0.0.1")),
                (int) number(get, "pg.port", 5432, problems),
                required(get, "pg.peer-host", problems), (int) number(get, "pg.peer-port", 5432, problems),
                orDefault(get, "pg.os-user", "postgres"), pgSecret == null ? get.apply("pg.trusted-network") : null,
                pgSecret, clientNetwork(get, vip), pgTls(get, pgSecret, problems), vip, required(get, "vip.device", problems),
                get.apply("vip.netns"), k3s.equals("none") ? null : k3s,
                get.apply("k3s.command"), get.apply("k3s.rotate-command"), timing, peerKey,
                socketDir(get, "pg.socket-dir", problems), peerData(get, pgData, problems),
                get.apply("pg.peer-socket-dir") == null ? socketDir(get, "pg.socket-dir", new java.util.ArrayList<>())
                        : socketDir(get, "pg.peer-socket-dir", problems));
    }

    private static Path peerData(Function<String, String> get, String pgData, List<String> problems) {
        String dir = get.apply("pg.peer-data");
        if (dir == null) {
            return pgData == null ? null : Path.of(pgData).toAbsolutePath(); // the pair's own layout
        }
        if (!dir.startsWith("/")) {
            problems.add("pg.peer-data: an absolute path, got '" + dir + "'");
        }
        return Path.of(dir);
    }

    private static Path socketDir(Function<String, String> get, String key, List<String> problems) {
        String dir = get.apply(key);
        if (dir == null) {
            return null;
        }
        if (!dir.startsWith("/") || dir.length() > 80) { // the socket's path must fit sockaddr_un (107 bytes)
            problems.add(key + ": an absolute path of at most 80 characters, got '" + dir + "'");
            return null;
        }
        return Path.of(dir);
    }

    /** HA without an authenticated peer link is refused: a forged ack could keep a cut-off primary writing. */
    private static PeerKey peerKey(Function<String, String> get, List<String> problems) {
        String file = required(get, "ha.peer-key-file", problems);
        if (file == null) {
            return null;
        }
        try {
            return PeerKey.load(Path.of(file));
        } catch (java.io.IOException e) {
            problems.add("ha.peer-key-file: cannot read " + file + " (" + e + ")");
        } catch (IllegalArgumentException e) {
            problems.add("ha.peer-key-file: " + file + ": " + e.getMessage());
        }
        return null;
    }

    /** A database secret, or explicitly trust for tests: never a pair whose peer cannot log in, nor both. */
    private static PgSecret pgSecret(Function<String, String> get, List<String> problems) {
        String file = get.apply("pg.secret-file");
        String trusted = get.apply("pg.trusted-network");
        if (file == null) {
            if (trusted == null) {
                problems.add("pg.secret-file: required with ha.enabled=true (the site's database secret, from"
                        + " enrollment); pg.trusted-network instead only in test setups");
            }
            return null;
        }
        if (trusted != null) { // e.g. a test setup's node that enrolled since: the secret wins, HA keeps running
            java.util.logging.Logger.getLogger(HaSettings.class.getName()).warning("pg.trusted-network is ignored:"
                    + " pg.secret-file is set, every connection proves a password");
        }
        if (get.apply("pg.client-network") != null && !get.apply("pg.client-network").matches(
                "samenet|\\d{1,3}(\\.\\d{1,3}){3}/([0-9]|[12][0-9]|3[0-2])")) {
            problems.add("pg.client-network: a CIDR like 10.0.0.0/24, or samenet");
        }
        try {
            return PgSecret.load(Path.of(file));
        } catch (java.io.IOException e) {
            problems.add("pg.secret-file: cannot read " + file + " (" + e + ")");
        } catch (IllegalArgumentException e) {
            problems.add("pg.secret-file: " + file + ": " + e.getMessage());
        }
        return null;
    }

    /**
     * Where clients may reach PostgreSQL from: {@code pg.client-network}, else the site LAN the VIP is on (e.g.
     * 10.0.0.0/24 for 10.0.0.10/24) — not {@code samenet}, which on a K3s node also spans the pod network.
     */
    private static String clientNetwork(Function<String, String> get, String vip) {
        String set = get.apply("pg.client-network");
        if (set != null || vip == null || !vip.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}")) {
            return set;
        }
        String[] o = vip.substring(0, vip.indexOf('/')).split("\\.");
        int bits = Math.min(32, Integer.parseInt(vip.substring(vip.indexOf('/') + 1)));
        long ip = 0;
        for (String part : o) {
            ip = (ip << 8) | (Integer.parseInt(part) & 0xff);
        }
        long net = bits == 0 ? 0 : ip & (0xffffffffL << (32 - bits)) & 0xffffffffL;
        return (net >> 24 & 0xff) + "." + (net >> 16 & 0xff) + "." + (net >> 8 & 0xff) + "." + (net & 0xff) + "/" + bits;
    }

    /** TLS for PostgreSQL: on with a database secret unless {@code pg.tls=off}. */
    private static boolean pgTls(Function<String, String> get, PgSecret secret, List<String> problems) {
        String mode = get.apply("pg.tls") == null ? "on" : get.apply("pg.tls");
        if (!mode.equals("on") && !mode.equals("off")) {
            problems.add("pg.tls: on or off, got '" + mode + "'");
        }
        return mode.equals("on") && secret != null;
    }

    private static String orDefault(Function<String, String> get, String key, String dflt) {
        return get.apply(key) == null ? dflt : get.apply(key);
    }

    private static String required(Function<String, String> get, String key, List<String> problems) {
        String v = get.apply(key);
        if (v == null) {
            problems.add(key + ": required with ha.enabled=true");
        }
        return v;
    }

    private static long number(Function<String, String> get, String key, long dflt, List<String> problems) {
        return ConfigLoader.number(get, key, dflt, 1, 3_600_000, problems);
    }

    private static InetSocketAddress address(Function<String, String> get, String key, String dflt,
                                             List<String> problems) {
        String v = get.apply(key) == null ? dflt : get.apply(key);
        if (v == null) {
            problems.add(key + ": required with ha.enabled=true");
            return null;
        }
        int colon = v.lastIndexOf(':');
        try {
            return new InetSocketAddress(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
        } catch (RuntimeException e) {
            problems.add(key + ": '" + v + "' is not host:port");
            return null;
        }
    }
}
