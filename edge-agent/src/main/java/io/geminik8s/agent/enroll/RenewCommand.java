package io.geminik8s.agent.enroll;

import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.CommandResult.Outcome;
import io.geminik8s.protocol.SchemaVersion;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The hub's {@code renew-certificate} command (a certificate rotation, docs/rollouts.md): renews at once with the
 * {@link Renewer}, then reconnects so the broker sees the new certificate, and answers {@code ok} with the new
 * serial once connected again, or {@code failed} with the reason. Idempotent: the command names the serial to
 * renew from ({@code args.from}); a node already past it answers {@code ok} without renewing again, and a command
 * id seen before gets its first answer. Runs on its own thread: the HTTP call never holds up the agent's loop.
 */
public final class RenewCommand {

    public static final String NAME = "renew-certificate";
    private static final Logger LOG = Logger.getLogger(RenewCommand.class.getName());
    private static final int REMEMBERED = 64;

    private final Renewer renewer;
    private final Supplier<CompletableFuture<Long>> reconnect;
    private final Clock clock;
    private final Duration reconnectTimeout;
    private final List<Supplier<String>> after = new CopyOnWriteArrayList<>();
    // one command at a time; the thread ends when idle, so nothing needs closing
    private final ExecutorService worker = new ThreadPoolExecutor(0, 1, 5, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "gk8s-renew-command");
                t.setDaemon(true);
                return t;
            });
    private final Map<String, CommandResult> done = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CommandResult> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** {@code reconnect}: closes the link and completes once connected again (with the new certificate). */
    public RenewCommand(Renewer renewer, Supplier<CompletableFuture<Long>> reconnect, Clock clock,
                        Duration reconnectTimeout) {
        this.renewer = renewer;
        this.reconnect = reconnect;
        this.clock = clock;
        this.reconnectTimeout = reconnectTimeout;
    }

    /**
     * Something else that uses the node's certificate and must take the new one (PostgreSQL's TLS, K3s): run after
     * the renewal and reconnect, in order; it returns what it did or throws, which makes the answer {@code failed}.
     */
    public void after(Supplier<String> hook) {
        after.add(hook);
    }

    public CompletableFuture<CommandResult> handle(Command c) {
        return CompletableFuture.supplyAsync(() -> {
            CommandResult previous = done.get(c.id());
            if (previous != null) {
                return previous;
            }
            CommandResult r = run(c);
            done.put(c.id(), r);
            return r;
        }, worker);
    }

    private CommandResult run(Command c) {
        long now = clock.millis();
        if (c.expiredAt(now)) {
            return result(c, Outcome.EXPIRED, "expired " + (now - c.expiresAt()) + " ms ago; not renewed");
        }
        String from = c.args() == null ? null : c.args().get("from");
        try {
            String current = renewer.currentSerial();
            if (from != null && !from.equalsIgnoreCase(current)) {
                return result(c, Outcome.OK, "already renewed from " + from + ": certificate " + current);
            }
            String serial = renewer.renew(clock.instant());
            long session = reconnect.get().get(reconnectTimeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("renewed on the hub's command: " + current + " -> " + serial + ", reconnected (session "
                    + session + ")");
            StringBuilder done = new StringBuilder("renewed " + current + " -> " + serial + "; reconnected");
            for (Supplier<String> hook : after) {
                try {
                    done.append("; ").append(hook.get());
                } catch (RuntimeException e) {
                    LOG.warning("after the renewal: " + e.getMessage());
                    return result(c, Outcome.FAILED, done + "; but " + e.getMessage());
                }
            }
            return result(c, Outcome.OK, done.toString());
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(); // refused: no text
            LOG.warning("renewal on the hub's command failed: " + why);
            return result(c, Outcome.FAILED, "renewal failed: " + why);
        } catch (TimeoutException | ExecutionException e) {
            return result(c, Outcome.FAILED, "renewed, but not reconnected within " + reconnectTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return result(c, Outcome.FAILED, "interrupted");
        }
    }

    private CommandResult result(Command c, Outcome outcome, String message) {
        return new CommandResult(SchemaVersion.CURRENT.toString(), c.id(), c.site(), c.node(), clock.millis(),
                outcome, message);
    }
}
