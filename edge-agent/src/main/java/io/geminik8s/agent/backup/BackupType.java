package io.geminik8s.agent.backup;

/** pgBackRest's backup types: {@code --type=full|diff|incr}. */
public enum BackupType {
    FULL, DIFF, INCR;

    public String option() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** pgBackRest's name of a backup's type in {@code info --output=json}. */
    public static BackupType of(String option) {
        return valueOf(option.toUpperCase(java.util.Locale.ROOT));
    }
}
