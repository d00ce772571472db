package io.geminik8s.agent.enroll;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Zero-touch enrollment settings ({@code enroll.*}, documented in {@link #KEYS}): where the hub's enrollment
 * endpoint is and the site's claim token. Present only until the node has its certificate; afterwards they are
 * ignored. {@code hardwareId}: this node's hardware identity ({@link HardwareIdentity}), null where it has none.
 */
public record EnrollSettings(URI hub, String token, String site, String node, Path stateDir, Path caPem,
                             Duration timeout, Duration renewBefore, Duration renewCheck, String hardwareId) {

    public static final String KEYS = """
              enroll.url                the hub's base URL for zero-touch enrollment (https://hub:8443); with it and
                                        no tls.cert, a node with empty state makes its key and enrolls
              enroll.token-file         file holding the site's claim token (or enroll.token, the token itself)
              enroll.ca                 PEM CA bundle that the hub's HTTPS certificate must chain to (default: the JDK's)
              enroll.allow-plaintext    must be true for an http:// enroll.url (tests, loopback demo)
              enroll.renew-before-h     renew the certificate when less than this is left (default 240 = 10 days)
              enroll.renew-check-s      how often that is checked (default 3600)
              enroll.hardware-id-file   file with this node's hardware identity, sent at enrollment and renewal
                                        (default /sys/class/dmi/id/product_uuid, readable by root; none where
                                        absent or blank; 'none': send none). Not /etc/machine-id: that names the
                                        OS installation, not the machine
            """;

    @Override
    public String toString() {
        return "EnrollSettings[hub=" + hub + ", site=" + site + ", node=" + node + ", hardwareId=" + hardwareId
                + ", token=***]";
    }

    /** The settings if {@code enroll.url} is given and the node has no certificate configured; problems otherwise. */
    public static Optional<EnrollSettings> parse(Function<String, String> get, List<String> problems) {
        String url = get.apply("enroll.url");
        if (url == null || get.apply("tls.cert") != null || get.apply("tls.keystore") != null) {
            return Optional.empty();
        }
        List<String> local = new ArrayList<>();
        URI hub = URI.create(url.endsWith("/") ? url : url + "/");
        if (!"https".equals(hub.getScheme()) && !("http".equals(hub.getScheme())
                && Boolean.parseBoolean(get.apply("enroll.allow-plaintext")))) {
            local.add("enroll.url: https:// is required (http:// only with enroll.allow-plaintext=true): the claim"
                    + " token and the fleet CA travel over it");
        }
        String token = get.apply("enroll.token");
        String tokenFile = get.apply("enroll.token-file");
        if (token == null && tokenFile != null && Files.exists(Path.of(tokenFile))) {
            try {
                token = Files.readString(Path.of(tokenFile)).strip();
            } catch (java.io.IOException e) {
                local.add("enroll.token-file: cannot read " + tokenFile + ": " + e.getMessage());
            }
        }
        String ca = get.apply("enroll.ca");
        Path state = Path.of(get.apply("state.dir") == null ? "/var/lib/gk8s-agent" : get.apply("state.dir"));
        boolean enrolled = Files.exists(state.resolve("tls").resolve(Enroller.CERT));
        if ((token == null || token.isEmpty()) && !enrolled) { // once enrolled, the spent claim may be deleted
            local.add("enroll.token or enroll.token-file: the site's claim token is required with enroll.url");
        }
        String hardwareFile = get.apply("enroll.hardware-id-file");
        String hardwareId = "none".equals(hardwareFile) ? null : HardwareIdentity.read(Path.of(hardwareFile == null
                ? HardwareIdentity.DMI : hardwareFile), hardwareFile != null, local).orElse(null);
        problems.addAll(local);
        return local.isEmpty() ? Optional.of(new EnrollSettings(hub, token, get.apply("site"), get.apply("node"), state,
                ca == null ? null : Path.of(ca), Duration.ofSeconds(20), Duration.ofHours(positive(get, "enroll.renew-before-h",
                240, local)), Duration.ofSeconds(positive(get, "enroll.renew-check-s", 3600, local)), hardwareId))
                : Optional.empty();
    }

    private static long positive(Function<String, String> get, String key, long dflt, List<String> problems) {
        String v = get.apply(key);
        try {
            long n = v == null ? dflt : Long.parseLong(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add(key + ": a positive whole number");
        return dflt;
    }

    /** Where the enrolled key, certificate chain and fleet root live: {@code <state.dir>/tls}. */
    public Path dir() {
        return stateDir.resolve("tls");
    }

    /**
     * {@code env} with the enrolled files as the agent's TLS settings, and the pair's settings from enrollment
     * ({@link Enroller#PAIR}) where {@code configured} (the agent's file and environment) sets none.
     */
    public Map<String, String> withEnrolled(Map<String, String> env, java.util.function.Function<String, String> configured)
            throws java.io.IOException {
        var out = new java.util.HashMap<>(withTls(env));
        Path pair = dir().resolve(Enroller.PAIR);
        if (java.nio.file.Files.exists(pair)) {
            var p = new java.util.Properties();
            try (var in = java.nio.file.Files.newBufferedReader(pair)) {
                p.load(in);
            }
            for (String key : p.stringPropertyNames()) {
                if (configured.apply(key) == null) {
                    out.put("GK8S_AGENT_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'),
                            p.getProperty(key));
                }
            }
        }
        return Map.copyOf(out);
    }

    /** {@code env} with the enrolled files as the agent's TLS settings. */
    public Map<String, String> withTls(Map<String, String> env) {
        var out = new java.util.HashMap<>(env);
        out.put("GK8S_AGENT_TLS_CERT", dir().resolve(Enroller.CERT).toString());
        out.put("GK8S_AGENT_TLS_KEY", dir().resolve(Enroller.KEY).toString());
        out.put("GK8S_AGENT_TLS_CA", dir().resolve(Enroller.CA).toString());
        return Map.copyOf(out);
    }
}
