package io.geminik8s.agent.upgrade;

import io.geminik8s.agent.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Settings of the node's K3s upgrades (with HA). {@code binary} null: upgrades are not managed (no K3s binary here,
 * none configured): health reports no runtime and the applied generation as before.
 */
public record UpgradeSettings(Path binary, String readyCommand, Duration verifyTimeout, int vipCheckPort,
                              int peerArtifactPort, Path certificatesDir) {

    public static final String KEYS = """
              k3s.binary                the K3s binary an upgrade replaces (default /usr/local/bin/k3s, used when
                                        present): with it, the agent upgrades K3s pair-aware (docs/upgrades.md)
              k3s.ready-command         what proves K3s ready (default: <k3s.binary> kubectl get --raw=/readyz)
              upgrade.verify-timeout-s  how long an upgraded node has to prove the new version (default 300)
              vip.check-port            the port on the VIP whose answer proves it (default 6443, the K8s API
                                        behind HAProxy; 0: not checked)
              artifacts.peer-port       TCP port, on the peer link's address (ha.listen), where this node serves its
                                        checked artifacts to its peer and asks the peer first (default 7947; 0: off)
              certificates.dir          where a template's certificate files go, <name>.pem each, for K3s to read
                                        (default <state.dir>/certs; absolute)
            """;

    public static UpgradeSettings from(Function<String, String> get) {
        List<String> problems = new ArrayList<>();
        String configured = get.apply("k3s.binary");
        Path binary = configured != null ? Path.of(configured) : Path.of("/usr/local/bin/k3s");
        if (configured != null && !Files.isExecutable(binary)) {
            problems.add("k3s.binary: " + binary + " is not an executable file");
        }
        long timeout = number(get, "upgrade.verify-timeout-s", 300, 5, 3600, problems);
        long port = number(get, "vip.check-port", 6443, 0, 65535, problems);
        long peerPort = number(get, "artifacts.peer-port", 7947, 0, 65535, problems);
        String certs = get.apply("certificates.dir");
        if (certs != null && !Path.of(certs).isAbsolute()) {
            problems.add("certificates.dir: an absolute path, got " + certs);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new UpgradeSettings(configured != null || Files.isExecutable(binary) ? binary : null,
                get.apply("k3s.ready-command"), Duration.ofSeconds(timeout), (int) port, (int) peerPort,
                certs == null ? null : Path.of(certs));
    }

    private static long number(Function<String, String> get, String key, long dflt, long min, long max,
                               List<String> problems) {
        return io.geminik8s.agent.config.ConfigLoader.number(get, key, dflt, min, max, problems);
    }
}
