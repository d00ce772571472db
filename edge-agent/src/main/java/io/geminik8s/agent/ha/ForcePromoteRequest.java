package io.geminik8s.agent.ha;

import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;

/**
 * How an operator's {@code edge-agent force-promote} reaches the running agent: a request file in the agent's state
 * directory (0700), answered by a result file; every outcome is also appended to {@code ha-audit.log} there and
 * journaled as an event for the hub. The agent checks who asked: a request file that is not a regular file owned by
 * root or the agent's own user, or that its group or others may write, is refused unread ({@link #untrusted}).
 */
public record ForcePromoteRequest(String operator, String reason, Instant requestedAt) {

    static final String REQUEST = "force-promote.request";
    static final String RESULT = "force-promote.result";
    static final String AUDIT = "ha-audit.log";

    public ForcePromoteRequest {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a reason is required: it goes to the audit log and to the hub");
        }
        if (reason.length() > 500 || reason.contains("\n")) {
            throw new IllegalArgumentException("the reason must be one line of at most 500 characters");
        }
    }

    /** Places the request (replacing an unanswered one) after removing any earlier result. */
    public void submit(Path stateDir) {
        Properties p = new Properties();
        p.setProperty("operator", operator);
        p.setProperty("reason", reason);
        p.setProperty("requested-at", requestedAt.toString());
        try {
            Files.deleteIfExists(stateDir.resolve(RESULT));
            java.io.StringWriter w = new java.io.StringWriter();
            p.store(w, "edge-agent force-promote");
            DurableFiles.writeString(stateDir.resolve(REQUEST), w.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the request into " + stateDir, e);
        }
    }

    /**
     * Why the pending request cannot be trusted, if it cannot: a symbolic link or not a regular file, owned by
     * neither root nor the agent's user, or writable by group or others. Empty when there is none or it is sound.
     */
    static Optional<String> untrusted(Path stateDir) throws IOException {
        Path file = stateDir.resolve(REQUEST);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(file + " is not a regular file");
        }
        int owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (owner != 0 && owner != self) {
            return Optional.of(file + " is owned by uid " + owner + ", neither root nor the agent's user (uid " + self
                    + ")");
        }
        int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0022) != 0) {
            return Optional.of(file + " may be written by its group or others (mode " + Integer.toOctalString(mode
                    & 0777) + ")");
        }
        return Optional.empty();
    }

    /** The agent's side: an untrusted request is removed unread, refused and audited. */
    static void refuseUntrusted(Path stateDir, String why) {
        try {
            Files.deleteIfExists(stateDir.resolve(REQUEST));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        new ForcePromoteRequest("unknown (untrusted request)", "-", Instant.now()).answer(stateDir, false,
                "request not trusted: " + why);
    }

    /** The agent's side: the pending request, removed from the directory, if there is one. */
    static Optional<ForcePromoteRequest> take(Path stateDir) {
        Path file = stateDir.resolve(REQUEST);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.of(new ForcePromoteRequest(p.getProperty("operator", "unknown"), p.getProperty("reason"),
                Instant.parse(p.getProperty("requested-at", Instant.EPOCH.toString()))));
    }

    /** The agent's side: answer and audit. */
    void answer(Path stateDir, boolean granted, String message) {
        String line = Instant.now() + " force-promote by " + operator + " (" + reason + "): "
                + (granted ? "granted, " : "refused, ") + message + System.lineSeparator();
        try {
            Files.writeString(DurableFiles.createPrivateFile(stateDir.resolve(AUDIT)), line, StandardOpenOption.APPEND,
                    StandardOpenOption.SYNC);
            DurableFiles.writeString(stateDir.resolve(RESULT), (granted ? "granted: " : "refused: ") + message);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The operator's side: the agent's answer ("granted: …" or "refused: …"), or empty after {@code timeout}. */
    public static Optional<String> awaitResult(Path stateDir, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path result = stateDir.resolve(RESULT);
        while (System.nanoTime() < deadline) {
            if (Files.exists(result)) {
                try {
                    return Optional.of(Files.readString(result));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            Thread.sleep(100); // polling a file another process writes; the deadline bounds it
        }
        return Optional.empty();
    }
}
