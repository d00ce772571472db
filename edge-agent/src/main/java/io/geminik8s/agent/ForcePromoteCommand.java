package io.geminik8s.agent;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.config.ConfigException;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.agent.ha.ForcePromoteRequest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * {@code edge-agent force-promote --accept-data-loss --reason TEXT [--config FILE]}: asks the agent running on this
 * node (a standby whose primary is gone) to take over without the hub's vote. Audited; see docs/ha.md.
 */
final class ForcePromoteCommand {

    static final String USAGE = """
            Usage: edge-agent force-promote --accept-data-loss --reason TEXT [--config FILE] [--wait-s N]

            Makes this node's standby the site's primary without the hub's vote, for when the primary is gone and
            the hub is unreachable (or refuses because the standby was not synchronous). Writes the old primary
            acknowledged after the standby's last synchronous commit are lost. Refused while the primary is heard
            on the site LAN, and by the hub while the primary still renews its lease there. Recorded in
            ha-audit.log in the agent's state directory and sent to the hub as events.""";

    private ForcePromoteCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err)
            throws InterruptedException {
        Path file = null;
        String reason = null;
        boolean accepted = false;
        long waitS = 60;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--accept-data-loss" -> accepted = true;
                    case "--reason" -> reason = value(args, ++i, "--reason");
                    case "-c", "--config" -> file = Path.of(value(args, ++i, "--config"));
                    case "--wait-s" -> waitS = Long.parseLong(value(args, ++i, "--wait-s"));
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
                }
            }
            if (!accepted) {
                throw new IllegalArgumentException("--accept-data-loss is required: a forced promotion may lose "
                        + "writes the old primary acknowledged");
            }
            AgentConfig config = ConfigLoader.load(file, env);
            if (config.ha() == null) {
                throw new IllegalArgumentException("HA is not enabled in this agent's configuration");
            }
            String operator = env.getOrDefault("SUDO_USER", env.getOrDefault("USER", "unknown"));
            new ForcePromoteRequest(operator, reason, Instant.now()).submit(config.stateDir());
            Optional<String> result = ForcePromoteRequest.awaitResult(config.stateDir(), Duration.ofSeconds(waitS));
            if (result.isEmpty()) {
                err.println("no answer from the agent within " + waitS + " s (is it running with state directory "
                        + config.stateDir() + "?); the request stays pending");
                return 1;
            }
            (result.get().startsWith("granted") ? out : err).println(result.get());
            return result.get().startsWith("granted") ? 0 : 1;
        } catch (IllegalArgumentException | ConfigException e) {
            err.println(e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
