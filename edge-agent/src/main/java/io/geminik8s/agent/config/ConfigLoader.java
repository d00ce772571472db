package io.geminik8s.agent.config;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Reads the agent configuration from a properties file, then environment variables ({@code GK8S_AGENT_} + key in
 * upper case with '.' and '-' as '_', e.g. {@code GK8S_AGENT_BROKER_URL}), which win. All problems are reported at
 * once. {@link #KEYS} is the documentation printed by {@code --help}.
 */
public final class ConfigLoader {

    public static final String KEYS = """
              site                      site id, a DNS label (required)
              node                      node id inside the site, a DNS label (required)
              broker.url                ssl://host:8883 or tcp://host:1883 (required)
              broker.allow-plaintext    must be true to use tcp:// (default false)
              tls.keystore              PKCS12 file with this node's key and certificate (mTLS)
              tls.keystore-password     its password
              tls.truststore            PKCS12 file with the broker's CA
              tls.truststore-password   its password
              tls.cert / tls.key        PEM certificate chain and unencrypted PKCS#8 key (instead of a keystore)
              tls.ca                    PEM CA bundle (instead of a truststore)
              mqtt.keepalive-s          MQTT keepalive, seconds (default 150): the agent notices a connection that
                                        died without a reset within this long. Every (keepalive - 1) / health
                                        interval-th health sample goes at QoS 1 (every 4th at the defaults) and the
                                        broker's PUBACK proves the connection: none by the time the next sample
                                        is due (at least 5 s), the agent drops it and reconnects (Last Will kept);
                                        the MQTT client pings only when it read or wrote nothing for a keepalive (a
                                        keepalive not longer than the health interval: QoS 0 only, a ping
                                        exchange, ~290 bytes with TLS, per keepalive). The broker
                                        closes a silent node's connection after 1.5 x keepalive. A broker may impose
                                        its own (MQTT 5 Server Keep Alive): the agent logs the one in effect when it
                                        connects. Wire cost: docs/architecture.md
              mqtt.session-expiry-s     broker keeps the session and queued commands this long (default 86400)
              mqtt.will-delay-s         the broker publishes this node's Last Will only after it stayed away this
                                        long (MQTT 5 Will Delay), so a broker restart is no fleet death (default 60)
              health.interval-s         health sample period, seconds (default 30)
              journal.dir               event journal folder (default <state.dir>/journal)
              journal.max-events        journal bound; overflow is counted and reported (default 10000)
              backoff.initial-ms        first reconnect delay cap (default 1000)
              backoff.max-ms            largest reconnect delay cap: bounds how long after an outage ends the
                                        agent is back (default 30000)
              postgres.url              JDBC URL of the local PostgreSQL to probe (optional)
              postgres.user / postgres.password
                                        (with pg.secret-file the password defaults to the one derived for the user)
              artifacts.signing-key-file  the fleet's artifact signing key (Ed25519 public key, PEM): a desired
                                        state's artifacts are fetched and kept only when signed by it (none: every
                                        artifact is refused)
              certs.watch               comma-separated certificate files (PEM or PKCS12) whose expiry is reported
              labels                    comma-separated key=value site labels, e.g. region=eu,kind=store
              state.dir                 agent state folder (default /var/lib/gk8s-agent)
            """ + HaSettings.KEYS + io.geminik8s.agent.upgrade.UpgradeSettings.KEYS;

    private static final Pattern ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final String ENV_PREFIX = "GK8S_AGENT_";

    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    private ConfigLoader() {
    }

    /** Loads {@code file} (may be null) overlaid with {@code env}. */
    public static AgentConfig load(Path file, Map<String, String> env) {
        return read(file, env).build();
    }

    /** Setting values by key from {@code file} overlaid with {@code env}, for settings read before the agent's. */
    public static java.util.function.Function<String, String> values(Path file, Map<String, String> env) {
        return read(file, env)::get;
    }

    private static ConfigLoader read(Path file, Map<String, String> env) {
        ConfigLoader l = new ConfigLoader();
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new ConfigException(List.of("cannot read config file " + file + ": " + e.getMessage()));
            }
            p.stringPropertyNames().forEach(k -> l.values.put(normal(k), p.getProperty(k).trim()));
        }
        env.forEach((k, v) -> {
            if (k.startsWith(ENV_PREFIX)) {
                l.values.put(normal(k.substring(ENV_PREFIX.length())), v.trim());
            }
        });
        return l;
    }

    /** File keys and environment names meet in one form: {@code health.interval-s} = {@code HEALTH_INTERVAL_S}. */
    private static String normal(String key) {
        return key.trim().toLowerCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private String get(String key) {
        String v = values.get(normal(key));
        return v == null || v.isEmpty() ? null : v;
    }

    private String id(String key) {
        String v = get(key);
        if (v == null) {
            problems.add(key + ": required");
        } else if (!ID.matcher(v).matches()) {
            problems.add(key + ": '" + v + "' is not a DNS label (lowercase letters, digits, '-', at most 63)");
        }
        return v;
    }

    private long number(String key, long dflt, long min, long max) {
        return number(this::get, key, dflt, min, max, problems);
    }

    /** A whole-number setting in [min, max]; absent or blank: {@code dflt}; a problem named for anything else. */
    public static long number(java.util.function.Function<String, String> get, String key, long dflt, long min,
                              long max, List<String> problems) {
        String v = get.apply(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        v = v.trim();
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                problems.add(key + ": " + n + " is out of range [" + min + ", " + max + "]");
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(key + ": '" + v + "' is not a whole number");
            return dflt;
        }
    }

    private Path file(String key, boolean mustExist) {
        String v = get(key);
        if (v == null) {
            return null;
        }
        Path p = Path.of(v);
        if (mustExist && !Files.isReadable(p)) {
            problems.add(key + ": file " + p + " does not exist or is not readable");
        }
        return p;
    }

    private static char[] chars(String v) {
        return v == null ? null : v.toCharArray();
    }

    private AgentConfig build() {
        String site = id("site");
        String node = id("node");
        URI broker = broker();
        boolean plaintext = Boolean.parseBoolean(get("broker.allow-plaintext"));
        if (broker != null && "tcp".equals(broker.getScheme()) && !plaintext) {
            problems.add("broker.url: plain tcp:// is refused unless broker.allow-plaintext=true; use ssl://");
        }
        AgentConfig.Tls tls = new AgentConfig.Tls(file("tls.keystore", true), chars(get("tls.keystore-password")),
                file("tls.truststore", true), chars(get("tls.truststore-password")), file("tls.cert", true),
                file("tls.key", true), file("tls.ca", true));
        if (tls.keystore() != null && tls.certPem() != null) {
            problems.add("tls.keystore and tls.cert: give one of them, not both");
        }
        if ((tls.certPem() == null) != (tls.keyPem() == null)) {
            problems.add("tls.cert and tls.key: give both or neither");
        }
        Path state = Path.of(get("state.dir") == null ? "/var/lib/gk8s-agent" : get("state.dir"));
        Path journal = get("journal.dir") == null ? state.resolve("journal") : Path.of(get("journal.dir"));
        String pgUrl = get("postgres.url");
        if (pgUrl != null && !pgUrl.startsWith("jdbc:postgresql:")) {
            problems.add("postgres.url: must start with jdbc:postgresql:");
        }
        List<Path> certs = new ArrayList<>();
        if (get("certs.watch") != null) {
            for (String c : get("certs.watch").split(",")) {
                if (!c.isBlank()) {
                    certs.add(Path.of(c.trim()));
                }
            }
        }
        HaSettings ha = HaSettings.parse(this::get, problems);
        char[] pgPassword = chars(get("postgres.password"));
        if (pgPassword == null && pgUrl != null && ha != null && ha.pgSecret() != null) { // the probe's role's
            pgPassword = ha.pgSecret().password(get("postgres.user") == null ? "postgres" : get("postgres.user"))
                    .toCharArray();
        }
        AgentConfig cfg = new AgentConfig(site, node, broker, plaintext, tls,
                Duration.ofSeconds(number("mqtt.keepalive-s", 150, 1, 65535)),
                Duration.ofSeconds(number("mqtt.session-expiry-s", 86400, 0, 4294967295L)),
                Duration.ofSeconds(number("mqtt.will-delay-s", 60, 0, 4294967295L)),
                Duration.ofSeconds(number("health.interval-s", 30, 1, 86400)), journal,
                (int) number("journal.max-events", 10000, 10, 10_000_000),
                Duration.ofMillis(number("backoff.initial-ms", 1000, 10, 3_600_000)),
                Duration.ofMillis(number("backoff.max-ms", 30_000, 10, 3_600_000)),
                new AgentConfig.Postgres(pgUrl, get("postgres.user"), pgPassword), List.copyOf(certs),
                labels(), state, ha, signingKey());
        if (cfg.willDelay().compareTo(cfg.sessionExpiry()) > 0) {
            problems.add("mqtt.will-delay-s: must be <= mqtt.session-expiry-s (the broker sends the Will when the"
                    + " session ends at the latest)");
        }
        if (cfg.backoffMax().compareTo(cfg.backoffInitial()) < 0) {
            problems.add("backoff.max-ms: must be >= backoff.initial-ms");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return cfg;
    }

    private URI broker() {
        String v = get("broker.url");
        if (v == null) {
            problems.add("broker.url: required (ssl://host:8883)");
            return null;
        }
        try {
            URI u = new URI(v);
            if (!"ssl".equals(u.getScheme()) && !"tcp".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 1) {
                problems.add("broker.url: '" + v + "' must look like ssl://host:port or tcp://host:port");
                return null;
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            problems.add("broker.url: '" + v + "' is not a URI: " + e.getReason());
            return null;
        }
    }

    private java.security.PublicKey signingKey() {
        String file = get("artifacts.signing-key-file");
        if (file == null) {
            return null;
        }
        try {
            return io.geminik8s.protocol.Artifact.publicKey(java.nio.file.Files.readString(Path.of(file)));
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            problems.add("artifacts.signing-key-file: " + file + ": " + e.getMessage());
            return null;
        }
    }

    private Map<String, String> labels() {
        Map<String, String> labels = new LinkedHashMap<>();
        String v = get("labels");
        if (v != null) {
            for (String pair : v.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    problems.add("labels: '" + pair.trim() + "' is not key=value");
                } else {
                    labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                }
            }
        }
        return Map.copyOf(labels);
    }
}
