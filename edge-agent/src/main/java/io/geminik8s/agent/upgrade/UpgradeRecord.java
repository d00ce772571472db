package io.geminik8s.agent.upgrade;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.agent.state.DurableFiles;
import io.geminik8s.protocol.Health;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * This node's part in the upgrade to {@code generation}: written durably before each step is carried out, so that a
 * crash or power loss resumes the step (or rolls back) instead of leaving it half-done and unreported.
 * {@code settled}: the newest generation whose upgrade finished on this node (done, or nothing to do).
 */
public record UpgradeRecord(long generation, String step, String from, String to, String error, long settled) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public UpgradeRecord with(String newStep, String newError) {
        return new UpgradeRecord(generation, newStep, from, to, newError, settled);
    }

    public boolean finished() {
        return "done".equals(step) || "failed".equals(step);
    }

    /** For the peer link: {@code generation:step}. */
    public String announce() {
        return generation + ":" + step;
    }

    public Health.Upgrade report() {
        return new Health.Upgrade(generation, step, from, to, error);
    }

    public static Optional<UpgradeRecord> load(Path file) {
        try {
            Optional<String> text = DurableFiles.readText(file);
            return text.isEmpty() ? Optional.empty() : Optional.of(JSON.readValue(text.get(), UpgradeRecord.class));
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable upgrade record " + file + ": " + e.getMessage(), e);
        }
    }

    public void save(Path file) {
        try {
            DurableFiles.write(file, JSON.writeValueAsBytes(this));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
