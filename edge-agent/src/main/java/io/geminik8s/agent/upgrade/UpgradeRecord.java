package io.geminik8s.agent.upgrade;

import io.geminik8s.protocol.Codec;
import io.geminik8s.agent.state.DurableFiles;
import io.geminik8s.protocol.Health;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * This node's part in the upgrade to {@code generation}: written durably before each step is carried out, so that a
 * crash or power loss resumes the step (or rolls back) instead of leaving it half-done and unreported.
 * {@code settled}: the newest generation whose upgrade finished on this node (done, or nothing to do);
 * {@code settings}: the PostgreSQL settings this node last applied (a template's {@code spec.postgres.settings});
 * {@code agentFrom}, {@code agentTo}: the agent's own versions when the generation changes it (else null);
 * {@code certificates}: the certificate files this node has in place, name → PEM (a template's
 * {@code spec.certificates.files}; null in a record built without them: carried over from the one before);
 * {@code triedSettings}, {@code triedCertificates}: what an unfinished install is putting in place (null: nothing),
 * so that undoing it after a crash also undoes what a newer generation no longer names.
 */
public record UpgradeRecord(long generation, String step, String from, String to, String error, long settled,
                            Map<String, String> settings, String agentFrom, String agentTo,
                            Map<String, String> certificates, Map<String, String> triedSettings,
                            Map<String, String> triedCertificates) {

    /** Fields a newer agent adds are skipped: its record is read by the older one it went back to. */
    private static final Codec JSON = new Codec(1024 * 1024);

    public UpgradeRecord {
        settings = settings == null ? Map.of() : Map.copyOf(settings);
        certificates = certificates == null ? null : Map.copyOf(certificates);
        triedSettings = triedSettings == null ? null : Map.copyOf(triedSettings);
        triedCertificates = triedCertificates == null ? null : Map.copyOf(triedCertificates);
    }

    public UpgradeRecord(long generation, String step, String from, String to, String error, long settled) {
        this(generation, step, from, to, error, settled, Map.of());
    }

    public UpgradeRecord(long generation, String step, String from, String to, String error, long settled,
                         Map<String, String> settings) {
        this(generation, step, from, to, error, settled, settings, null, null, null, null, null);
    }

    public UpgradeRecord with(String newStep, String newError) {
        return new UpgradeRecord(generation, newStep, from, to, newError, settled, settings, agentFrom, agentTo,
                certificates, triedSettings, triedCertificates);
    }

    /** The same, putting {@code settings} and {@code files} in place (recorded before they are written). */
    public UpgradeRecord trying(Map<String, String> settings, Map<String, String> files) {
        return new UpgradeRecord(generation, step, from, to, error, this.settled, this.settings, agentFrom, agentTo,
                certificates, settings, files);
    }

    /** The same step, the agent going from {@code from} to {@code to} too. */
    public UpgradeRecord withAgent(String from, String to) {
        return new UpgradeRecord(generation, step, this.from, this.to, error, settled, settings, from, to,
                certificates, triedSettings, triedCertificates);
    }

    /** The same, with the certificate files this node has in place ({@code null}: as the record before it). */
    public UpgradeRecord withCertificates(Map<String, String> files) {
        return new UpgradeRecord(generation, step, from, to, error, settled, settings, agentFrom, agentTo, files,
                triedSettings, triedCertificates);
    }

    /** The certificate files in place (name → PEM), never null. */
    public Map<String, String> certificateFiles() {
        return certificates == null ? Map.of() : certificates;
    }

    public boolean finished() {
        return "done".equals(step) || "failed".equals(step);
    }

    /** For the peer link: {@code generation:step}, and {@code :h} while this node reaches the hub. */
    public String announce(boolean hubReachable) {
        return generation + ":" + step + (hubReachable ? ":h" : "");
    }

    /** For health: texts made what the protocol accepts (one line, no control characters, capped). */
    public Health.Upgrade report() {
        return new Health.Upgrade(generation, step, clean(from, 128), clean(to, 128), clean(error, 1024));
    }

    private static String clean(String s, int max) {
        if (s == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> {
            int t = Character.getType(c);
            boolean shown = t != Character.CONTROL && t != Character.FORMAT && t != Character.LINE_SEPARATOR
                    && t != Character.PARAGRAPH_SEPARATOR;
            b.appendCodePoint(shown ? c : ' ');
        });
        String one = b.toString().strip();
        return one.isEmpty() ? null : one.length() <= max ? one : one.substring(0, max - 1) + "…";
    }

    public static Optional<UpgradeRecord> load(Path file) {
        try {
            Optional<String> text = DurableFiles.readText(file);
            if (text.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(JSON.read(text.get().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    UpgradeRecord.class));
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable upgrade record " + file + ": " + e.getMessage(), e);
        }
    }

    public void save(Path file) {
        try {
            DurableFiles.write(file, JSON.bytesOf(this));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
