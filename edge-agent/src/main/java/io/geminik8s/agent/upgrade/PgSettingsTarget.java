package io.geminik8s.agent.upgrade;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * The node's own PostgreSQL as the upgrade changes its settings (a template's {@code spec.postgres.settings}). Every
 * method may block and runs on the upgrade's thread. Implemented over the HA node's server ({@code HaNode}).
 */
public interface PgSettingsTarget {

    /**
     * Writes {@code desired}, resets what {@code previous} set and {@code desired} no longer does, reloads.
     *
     * @return the names whose value waits for a restart
     * @throws IllegalStateException when PostgreSQL refuses a setting
     */
    Set<String> apply(Map<String, String> desired, Map<String, String> previous);

    /** Of {@code names}, those a change of takes effect only after a restart. */
    Set<String> restartNeeded(Collection<String> names);

    /** A clean restart of the server (a standby's: it resumes streaming); returns once it accepts connections. */
    void restart();
}
