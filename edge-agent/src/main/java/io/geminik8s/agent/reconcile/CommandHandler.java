package io.geminik8s.agent.reconcile;

import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.CommandResult.Outcome;
import io.geminik8s.protocol.SchemaVersion;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Executes one-off commands at most once per id (QoS 1 may deliver twice: the first result is sent again) and
 * never after their expiry. Commands known today: {@code ping}, {@code rebirth}; others are answered
 * {@code unsupported}.
 */
public final class CommandHandler {

    private static final int REMEMBERED = 1024;

    private final Clock clock;
    private final Runnable rebirth;
    private final Map<String, CommandResult> done = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CommandResult> eldest) {
            return size() > REMEMBERED;
        }
    };

    public CommandHandler(Clock clock, Runnable rebirth) {
        this.clock = clock;
        this.rebirth = rebirth;
    }

    public synchronized CommandResult handle(Command c) {
        CommandResult previous = done.get(c.id());
        if (previous != null) {
            return previous;
        }
        long now = clock.millis();
        CommandResult result;
        if (c.expiredAt(now)) {
            result = result(c, Outcome.EXPIRED, "expired " + (now - c.expiresAt()) + " ms ago; not executed");
        } else {
            result = switch (c.name()) {
                case "ping" -> result(c, Outcome.OK, "pong");
                case "rebirth" -> {
                    rebirth.run();
                    yield result(c, Outcome.OK, "birth published");
                }
                default -> result(c, Outcome.UNSUPPORTED, "unknown command '" + c.name() + "'");
            };
        }
        done.put(c.id(), result);
        return result;
    }

    private CommandResult result(Command c, Outcome outcome, String message) {
        return new CommandResult(SchemaVersion.CURRENT.toString(), c.id(), c.site(), c.node(), clock.millis(), outcome,
                message);
    }
}
