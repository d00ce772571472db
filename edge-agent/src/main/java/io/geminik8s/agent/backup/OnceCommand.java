package io.geminik8s.agent.backup;

import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.CommandResult.Outcome;
import io.geminik8s.protocol.SchemaVersion;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A hub command that runs for minutes on a thread of its own ({@code backup-restore}, {@code standby-rebuild}):
 * answered {@code ok} with what was done or {@code failed} with the reason, at most once per command id (a repeat
 * gets the first answer, or waits for it), never after expiry. {@code run} gets the command's arguments and may throw
 * {@link IllegalArgumentException} for bad ones (answered failed, nothing done).
 */
public final class OnceCommand {

    private static final int REMEMBERED = 64;

    private final String name;
    private final Function<Map<String, String>, CompletableFuture<String>> run;
    private final Clock clock;
    private final Map<String, CompletableFuture<CommandResult>> done = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<CommandResult>> eldest) {
            return size() > REMEMBERED;
        }
    };

    public OnceCommand(String name, Function<Map<String, String>, CompletableFuture<String>> run, Clock clock) {
        this.name = name;
        this.run = run;
        this.clock = clock;
    }

    public String name() {
        return name;
    }

    public synchronized CompletableFuture<CommandResult> handle(Command c) {
        return done.computeIfAbsent(c.id(), id -> start(c));
    }

    private CompletableFuture<CommandResult> start(Command c) {
        long now = clock.millis();
        if (c.expiredAt(now)) {
            return CompletableFuture.completedFuture(result(c, Outcome.EXPIRED, "expired " + (now - c.expiresAt())
                    + " ms ago; not run"));
        }
        CompletableFuture<String> f;
        try {
            f = run.apply(c.args() == null ? Map.of() : c.args());
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(result(c, Outcome.FAILED, e.getMessage()));
        }
        return f.handle((ok, err) -> err == null ? result(c, Outcome.OK, ok)
                : result(c, Outcome.FAILED, (err.getCause() != null ? err.getCause() : err).getMessage()));
    }

    private CommandResult result(Command c, Outcome outcome, String message) {
        return new CommandResult(SchemaVersion.CURRENT.toString(), c.id(), c.site(), c.node(), clock.millis(), outcome,
                message);
    }
}
