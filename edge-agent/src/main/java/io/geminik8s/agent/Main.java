package io.geminik8s.agent;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.config.ConfigException;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.agent.enroll.EnrollSettings;
import io.geminik8s.agent.enroll.EnrollStep;
import io.geminik8s.agent.enroll.Enroller;
import io.geminik8s.agent.ha.HaNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** Command line entry point: {@code edge-agent [--config FILE]}; {@code --help} lists every setting. */
public final class Main {

    private Main() {
    }

    /** The hub's backup-run and backup-verify answered by the node's backup loop. */
    public static void backupCommands(Agent agent, io.geminik8s.agent.backup.BackupLoop loop) {
        agent.backupOnCommand(loop::runNow);
        agent.onCommand(new io.geminik8s.agent.backup.OnceCommand("backup-verify", a -> loop.verifyNow(),
                Clock.systemUTC()));
    }

    /** The hub's backup-restore (the primary) and standby-rebuild (the standby) answered by {@code ha}. */
    public static void restoreCommands(Agent agent, HaNode ha) {
        agent.onCommand(new io.geminik8s.agent.backup.OnceCommand("backup-restore", a -> ha.restoreOnCommand(
                io.geminik8s.protocol.RestoreTarget.parse(a.get("to"), java.time.Instant.now())), Clock.systemUTC()));
        agent.onCommand(new io.geminik8s.agent.backup.OnceCommand("standby-rebuild", a -> ha.rebuildStandby(
                io.geminik8s.protocol.StandbySource.parse(a.get("from"))), Clock.systemUTC()));
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
        }
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Returns the exit code; blocks until the agent is stopped when it started one. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err)
            throws InterruptedException {
        if (args.length > 0 && args[0].equals("force-promote")) {
            return ForcePromoteCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), env, out, err);
        }
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    out.println(usage());
                    return 0;
                }
                case "--version" -> {
                    out.println("gk8s edge-agent " + Agent.VERSION);
                    return 0;
                }
                case "-c", "--config" -> {
                    if (i + 1 >= args.length) {
                        err.println("--config needs a file\n\n" + usage());
                        return 2;
                    }
                    file = Path.of(args[++i]);
                }
                default -> {
                    err.println("unknown argument: " + args[i] + "\n\n" + usage());
                    return 2;
                }
            }
        }
        AgentConfig config;
        io.geminik8s.agent.upgrade.UpgradeSettings upgrade;
        try {
            Map<String, String> settings = EnrollStep.run(file, env);
            config = ConfigLoader.load(file, settings);
            upgrade = io.geminik8s.agent.upgrade.UpgradeSettings.from(ConfigLoader.values(file, settings));
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return 2;
        } catch (Enroller.Refused e) {
            err.println(e.getMessage());
            return 2;
        }
        Agent agent = new Agent(config, Clock.systemUTC());
        EnrollStep.renewer(file, env).ifPresent(agent::renewOnCommand);
        HaNode ha = config.ha() == null ? null
                : new HaNode(config.site(), config.node(), config.ha(), agent.witness(), config.stateDir(),
                        agent::event);
        if (ha != null) {
            if (config.postgres().url() == null) { // the node's own server, as HA reaches it: role and streaming in health
                agent.probePostgres(new io.geminik8s.agent.probe.PgProbe(() -> ha.database().connect()));
            }
            agent.afterRenewal(ha::certificateRenewed); // PostgreSQL's TLS and K3s take the renewed certificate
            if (upgrade.binary() != null) {
                // the agent's own update: the launcher starts a staged version once (docs/upgrades.md)
                var releases = new io.geminik8s.agent.upgrade.AgentReleases(config.stateDir(), Agent.VERSION,
                        () -> System.exit(io.geminik8s.agent.upgrade.AgentReleases.RESTART_STATUS));
                agent.upgradeWith(new io.geminik8s.agent.upgrade.UpgradeCoordinator.Drivers(
                        new io.geminik8s.agent.upgrade.BinaryK3s(upgrade.binary(), upgrade.readyCommand(), ha.k3s()),
                        ha.pgSettings(), releases, new io.geminik8s.agent.upgrade.CertificateFolder(
                                upgrade.certificatesDir() != null ? upgrade.certificatesDir()
                                        : config.stateDir().resolve("certs"))),
                        ha.pairView(upgrade.vipCheckPort()), upgrade.verifyTimeout());
            }
            ha.backups(agent::desiredSpec).ifPresent(b -> backupCommands(agent, b)); // docs/backup.md
            restoreCommands(agent, ha);
        }
        io.geminik8s.agent.artifact.PeerArtifactServer peerArtifacts = null;
        if (ha != null && upgrade.peerArtifactPort() > 0) { // the second node of a pair need not use the WAN
            try {
                peerArtifacts = new io.geminik8s.agent.artifact.PeerArtifactServer(new java.net.InetSocketAddress(
                        config.ha().listen().getAddress(), upgrade.peerArtifactPort()),
                        config.stateDir().resolve("artifacts"));
                agent.artifactsFromPeer(java.net.URI.create("http://" + config.ha().peerAddress().getHostString() + ":"
                        + upgrade.peerArtifactPort() + "/artifacts/"));
            } catch (java.io.IOException e) {
                err.println("artifacts.peer-port " + upgrade.peerArtifactPort() + ": " + e.getMessage());
                return 2;
            }
        }
        io.geminik8s.agent.artifact.PeerArtifactServer servedArtifacts = peerArtifacts;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (servedArtifacts != null) {
                servedArtifacts.close();
            }
            if (ha != null) {
                ha.close();
            }
            agent.close();
            stopped.countDown();
        }, "gk8s-agent-shutdown"));
        agent.start();
        if (ha != null) {
            try {
                ha.start();
            } catch (Exception e) {
                err.println("HA bootstrap failed: " + e.getMessage());
                return 1;
            }
        }
        stopped.await();
        return 0;
    }

    static String usage() {
        return """
                Usage: edge-agent [--config FILE] [--help] [--version]
                       edge-agent force-promote --help

                geminik8s edge agent: phones home to the hub over MQTT 5, journals events, answers commands.
                Settings come from FILE (Java properties) and from environment variables GK8S_AGENT_<KEY>
                (key upper-cased, '.' and '-' as '_'), which win over the file:

                """ + ConfigLoader.KEYS + EnrollSettings.KEYS;
    }
}
