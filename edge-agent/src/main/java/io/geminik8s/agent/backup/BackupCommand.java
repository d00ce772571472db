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
 * The hub's {@code backup-run} command ({@code args.type}: full, diff or incr; default incr, which pgBackRest makes a
 * full one when the repository has none): answered {@code ok} with the backup's label once taken, {@code failed}
 * with the reason (not the node that writes, no spec.backup, pgBackRest failed). At most once per command id (a
 * repeat gets the first answer, or waits for it), never after expiry. Runs on the backup thread, not the agent's loop.
 */
public final class BackupCommand {

    public static final String NAME = "backup-run";
    private static final int REMEMBERED = 64;

    private final Function<BackupType, CompletableFuture<String>> run;
    private final Clock clock;
    private final Map<String, CompletableFuture<CommandResult>> done = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<CommandResult>> eldest) {
            return size() > REMEMBERED;
        }
    };

    public BackupCommand(Function<BackupType, CompletableFuture<String>> run, Clock clock) {
        this.run = run;
        this.clock = clock;
    }

    public synchronized CompletableFuture<CommandResult> handle(Command c) {
        return done.computeIfAbsent(c.id(), id -> start(c));
    }

    private CompletableFuture<CommandResult> start(Command c) {
        long now = clock.millis();
        if (c.expiredAt(now)) {
            return CompletableFuture.completedFuture(result(c, Outcome.EXPIRED, "expired " + (now - c.expiresAt())
                    + " ms ago; no backup taken"));
        }
        String type = c.args() == null || c.args().get("type") == null ? "incr" : c.args().get("type");
        if (!type.equals("full") && !type.equals("diff") && !type.equals("incr")) {
            return CompletableFuture.completedFuture(result(c, Outcome.FAILED, "args.type: full, diff or incr, got '"
                    + type + "'"));
        }
        return run.apply(BackupType.of(type)).handle((ok, err) -> err == null ? result(c, Outcome.OK, ok)
                : result(c, Outcome.FAILED, (err.getCause() != null ? err.getCause() : err).getMessage()));
    }

    private CommandResult result(Command c, Outcome outcome, String message) {
        return new CommandResult(SchemaVersion.CURRENT.toString(), c.id(), c.site(), c.node(), clock.millis(), outcome,
                message);
    }
}
