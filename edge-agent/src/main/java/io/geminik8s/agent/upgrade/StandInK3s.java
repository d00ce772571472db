package io.geminik8s.agent.upgrade;

import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The demo's K3s, in the JVM: its version is a file ({@code <state>/k3s-standin-version}, {@code initial} until the
 * first install) and it is ready unless its version asks for a failure ({@link #NEVER_READY}, build {@code k3s99}: never ready,
 * so the upgrade rolls back, as a K3s that does not come up). Needs no artifact file.
 */
public final class StandInK3s implements K3sVersions {

    /** The build number that makes a stand-in never ready (valid in a template: {@code v1.31.6+k3s99}). */
    public static final String NEVER_READY = "+k3s99";

    private final Path versionFile;
    private final Path previousFile;
    private final String initial;

    public StandInK3s(Path stateDir, String initial) {
        this.versionFile = stateDir.resolve("k3s-standin-version");
        this.previousFile = stateDir.resolve("k3s-standin-previous");
        this.initial = initial;
    }

    @Override
    public String running() {
        return read(versionFile, initial);
    }

    @Override
    public boolean ready() {
        return !running().endsWith(NEVER_READY);
    }

    @Override
    public void install(Path artifact, String version) {
        String now = running();
        if (!now.equals(version)) {
            write(previousFile, now);
            write(versionFile, version);
        }
    }

    @Override
    public void rollback() {
        write(versionFile, read(previousFile, initial));
    }

    @Override
    public boolean needsArtifact() {
        return false;
    }

    private static String read(Path file, String fallback) {
        try {
            return DurableFiles.readText(file).orElse(fallback);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            DurableFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
