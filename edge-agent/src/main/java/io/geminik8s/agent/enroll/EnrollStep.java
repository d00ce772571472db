package io.geminik8s.agent.enroll;

import io.geminik8s.agent.config.ConfigException;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.agent.link.Backoff;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Before the agent starts: with {@code enroll.url} and no certificate configured, enroll (retrying with the agent's
 * backoff while the hub is unreachable or failing) and hand the enrolled files to the agent as its TLS settings.
 */
public final class EnrollStep {

    private static final Logger LOG = Logger.getLogger(EnrollStep.class.getName());

    private EnrollStep() {
    }

    /** Checks every {@code every} (first at once) whether the certificate is due for renewal, on a daemon thread. */
    private static void renewals(Renewer renewer, Duration every) {
        var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gk8s-cert-renewal");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                renewer.renewIfDue(java.time.Instant.now());
            } catch (IOException e) {
                LOG.warning("certificate renewal failed (" + why(e) + "); next check in " + every);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0, every.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** The renewer of the enrolled files, when enrollment is configured (for the hub's rotation command). */
    public static java.util.Optional<Renewer> renewer(Path file, Map<String, String> env) {
        var settings = EnrollSettings.parse(ConfigLoader.values(file, env), new ArrayList<>());
        return settings.map(s -> new Renewer(s, s.renewBefore()));
    }

    /** {@code env}, plus the enrolled TLS files when enrollment is configured; blocks until enrolled. */
    public static Map<String, String> run(Path file, Map<String, String> env)
            throws Enroller.Refused, InterruptedException {
        List<String> problems = new ArrayList<>();
        var configured = ConfigLoader.values(file, env);
        var settings = EnrollSettings.parse(configured, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        if (settings.isEmpty()) {
            return env;
        }
        Enroller enroller = new Enroller(settings.get());
        Renewer renewer = new Renewer(settings.get(), settings.get().renewBefore());
        try {
            renewer.recover();
        } catch (IOException e) {
            LOG.warning("cannot finish an interrupted certificate swap: " + e.getMessage());
        }
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
        for (int attempt = 0; ; attempt++) {
            try {
                enroller.ensure();
                renewals(renewer, settings.get().renewCheck());
                return settings.get().withEnrolled(env, configured);
            } catch (IOException e) {
                long wait = backoff.delayMs(attempt);
                LOG.warning("enrollment at " + settings.get().hub() + " failed (" + why(e) + "); again in "
                        + wait + " ms");
                Thread.sleep(wait); // a retry delay with jitter, not a wait for a condition
            }
        }
    }

    /** A failure's words, never "null": a refused connection's exception carries no message of its own. */
    static String why(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": "
                + t.getMessage();
    }
}
