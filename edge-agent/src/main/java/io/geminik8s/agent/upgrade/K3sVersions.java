package io.geminik8s.agent.upgrade;

import java.nio.file.Path;

/**
 * The K3s version of a node, as the upgrade sees it. Every method may block (processes, files) and runs on the
 * upgrade's own thread, never the agent's or the HA loop. Implementations: {@link BinaryK3s} (the real binary) and
 * {@link StandInK3s} (the demo's, in the JVM).
 */
public interface K3sVersions {

    /** The version the installed K3s reports about itself; null when it reports none. */
    String running();

    /** Whether the local K3s server answers its readiness check now. */
    boolean ready();

    /**
     * Puts {@code artifact} (checked, signed; null for a stand-in that needs no file) in place as version
     * {@code version}, keeping the installed one for {@link #rollback()}, and restarts K3s if it should run.
     * Idempotent: installing the same version again is harmless.
     *
     * @throws IllegalStateException with the reason when it cannot
     */
    void install(Path artifact, String version);

    /** Puts the version kept by the last {@link #install} back and restarts K3s if it should run. */
    void rollback();

    /** Restarts K3s if it should run (new certificate files are read at its start); a stand-in has nothing to do. */
    default void restart() {
    }

    /** Whether an {@link #install} needs a signed artifact file (a stand-in does not). */
    default boolean needsArtifact() {
        return true;
    }
}
