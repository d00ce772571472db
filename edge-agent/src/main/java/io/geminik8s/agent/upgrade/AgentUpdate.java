package io.geminik8s.agent.upgrade;

import java.nio.file.Path;

/**
 * The agent's own version, as the upgrade changes it: a new version is staged, put on trial, and the process ends so
 * that the service manager starts the launcher again, which starts the version on trial once. The new version proves
 * it reaches the hub and confirms itself; a trial that ends without confirming (a crash, a power loss, no hub within
 * the verify timeout) is not started again: the launcher goes back to the previous version. Every method may block
 * (files) and runs on the upgrade's thread. Implemented by {@link AgentReleases} with the package's launcher.
 */
public interface AgentUpdate {

    /** The version of this process. */
    String running();

    /**
     * Puts the release bundle {@code bundle} (checked, signed) in place as {@code version}, not yet started.
     * Idempotent.
     *
     * @throws IllegalStateException with the reason when the bundle is not a release of the agent
     */
    void stage(Path bundle, String version);

    /** Marks {@code version} (staged) as the one the launcher starts next, once, for {@code generation}. */
    void startTrial(String version, long generation);

    /** The version on trial that the launcher has not started yet, or null. */
    String pendingTrial();

    /** Whether the trial of {@code version} for {@code generation} ended without confirming (the launcher went back). */
    boolean trialFailed(String version, long generation);

    /** This process is {@code version} on trial and reached the hub: the launcher keeps starting it. */
    void confirm(String version);

    /** Gives the trial of {@code version} for {@code generation} up: the launcher starts the previous version next. */
    void abandon(String version, long generation);

    /** Ends this process so that the service manager starts the launcher again. Does not return. */
    void restart();
}
