package io.geminik8s.cli;

import io.geminik8s.cli.mosquitto.MosquittoConfig;
import io.geminik8s.cli.mosquitto.MosquittoPassword;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code gk8s mosquitto-config}: writes the configuration snippet, ACLs and password file for Debian's Mosquitto 2.0
 * (docs/security.md). Works offline; it does not talk to the hub.
 */
@Command(name = "mosquitto-config", description = "Write Mosquitto 2.0 configuration, ACLs and password file for the"
        + " fleet: nodes by client certificate (CN <site>/<node>), the hub by password or its certificate (CN gk8s-hub),"
        + " no anonymous access.")
final class MosquittoCommand implements Callable<Integer> {

    static final String HUB_SECRET = "hub.password";

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, description = "Folder to write gk8s.conf, gk8s-nodes.acl, gk8s-hub.acl,"
            + " gk8s.passwd and " + HUB_SECRET + " (the hub's MQTT password: kept if it exists, else made)")
    Path out;

    @Option(names = "--dir", description = "Where the ACLs and gk8s.passwd will be on the broker (default: --out)")
    Path dir;

    @Option(names = "--nodes", description = "File of nodes, one <site>/<node> a line (# comments)")
    Path nodesFile;

    @Option(names = "--node", description = "A node <site>/<node> (repeatable)")
    List<String> nodes = new ArrayList<>();

    @Option(names = "--node-listener", defaultValue = "8883", description = "Nodes' mTLS listener [address:]port "
            + "(default ${DEFAULT-VALUE})")
    String nodeListener;

    @Option(names = "--hub-listener", defaultValue = "8884", description = "The hub's TLS listener [address:]port "
            + "(default ${DEFAULT-VALUE})")
    String hubListener;

    @Option(names = "--cafile", required = true, description = "Fleet CA certificate (PEM) node certificates chain to")
    Path cafile;

    @Option(names = "--certfile", required = true, description = "The broker's server certificate (PEM)")
    Path certfile;

    @Option(names = "--keyfile", required = true, description = "The broker's private key (PEM)")
    Path keyfile;

    @Option(names = "--crlfile", description = "The fleet intermediate's CRL (PEM) the nodes' listener checks; keep it"
            + " fresh with gk8s pki crl --out FILE and a reload (docs/security.md); it must exist when Mosquitto starts")
    Path crlfile;

    /** How the hub proves itself on its listener. */
    enum HubAuth { password, certificate }

    @Option(names = "--hub-auth", defaultValue = "password", description = "password (default: " + HUB_SECRET
            + ", user gk8s-hub) or certificate (mTLS: the hub's client certificate CN=gk8s-hub from the fleet CA,"
            + " CaFiles issue-hub; no password file is written)")
    HubAuth hubAuth;

    @Override
    public Integer call() throws IOException {
        List<String> all = new ArrayList<>(nodes);
        if (nodesFile != null) {
            for (String line : Files.readAllLines(nodesFile)) {
                String n = line.strip();
                if (!n.isEmpty() && !n.startsWith("#")) {
                    all.add(n);
                }
            }
        }
        MosquittoConfig config = new MosquittoConfig(all, (dir == null ? out : dir).toAbsolutePath(), nodeListener,
                hubListener, cafile.toAbsolutePath(), certfile.toAbsolutePath(), keyfile.toAbsolutePath(),
                crlfile == null ? null : crlfile.toAbsolutePath(), hubAuth == HubAuth.certificate);
        Files.createDirectories(out);
        write(out.resolve(MosquittoConfig.CONF), config.conf(), "rw-r--r--");
        write(out.resolve(MosquittoConfig.NODES_ACL), config.nodesAcl(), "rw-r-----");
        write(out.resolve(MosquittoConfig.HUB_ACL), config.hubAcl(), "rw-r-----");
        if (config.hubByCertificate()) {
            spec.commandLine().getOut().printf("wrote %s, %s, %s for %d nodes to %s; the hub connects with its"
                    + " certificate CN=gk8s-hub%n", MosquittoConfig.CONF, MosquittoConfig.NODES_ACL,
                    MosquittoConfig.HUB_ACL, config.nodes().size(), out);
            spec.commandLine().getOut().flush();
            return 0;
        }
        Path secretFile = out.resolve(HUB_SECRET);
        String secret;
        if (Files.exists(secretFile)) {
            secret = Files.readString(secretFile).strip();
        } else {
            secret = MosquittoPassword.newSecret();
            write(secretFile, secret + "\n", "rw-------");
        }
        write(out.resolve(MosquittoConfig.PASSWD), config.passwd(secret), "rw-r-----");
        spec.commandLine().getOut().printf("wrote %s, %s, %s, %s for %d nodes to %s; the hub's password is in %s%n",
                MosquittoConfig.CONF, MosquittoConfig.NODES_ACL, MosquittoConfig.HUB_ACL, MosquittoConfig.PASSWD,
                config.nodes().size(), out, secretFile);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Writes through a temporary file with its permissions set first, then moves it into place. */
    private static void write(Path file, String text, String mode) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".gk8s", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
