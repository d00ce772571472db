package io.geminik8s.agent.pg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a node's PostgreSQL becomes the standby of a primary: a fresh copy by pg_basebackup, swapped in for the
 * data directory only once complete ({@link DataSwap}), or a pg_rewind of a former primary; then the standby
 * configuration (primary_conninfo, the node's replication slot, standby.signal).
 */
final class PgStandby {

    private final PgControl node;

    PgStandby(PgControl node) {
        this.node = node;
    }

    /**
     * A standby of {@code primary} on a fresh copy: base backup (streaming WAL through this node's slot) into a
     * sibling directory, swapped in for the data directory only once complete ({@link DataSwap}), standby config,
     * start. A failed backup throws and leaves the data directory as it was.
     */
    void cloneFrom(PgControl primary) {
        Path fresh = DataSwap.fresh(node.data);
        try {
            DataSwap.delete(fresh);
            ensureSlot(primary, slot(node.name));
            basebackup(primary, fresh);
        } catch (IOException | RuntimeException e) {
            try {
                DataSwap.delete(fresh);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new IllegalStateException(node.name + ": base backup from " + primary.name + " failed, "
                    + node.data + " left as it was: " + e.getMessage(), e);
        }
        node.stop();
        DataSwap.swapIn(fresh, node.data);
        followConfig(primary, false);
        node.start();
    }

    /**
     * A standby of {@code primary} from a backup repository instead of a copy of the primary: this node's data
     * directory (PostgreSQL stopped; made if missing) filled by {@code restore} (pgBackRest's {@code --type=standby},
     * which also sets restore_command), then the standby configuration and a start: the standby replays the archived
     * WAL, then streams the rest from the primary through its slot. The primary serves only what came after the
     * backup. A failed restore throws; pgBackRest writes pg_control last, so a half-restored directory never starts.
     */
    void restoreFrom(PgControl primary, Runnable restore) {
        node.stop();
        try {
            PgAuth.privateDirectory(node, node.data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ensureSlot(primary, slot(node.name));
        restore.run();
        followConfig(primary, true);
        node.start();
    }

    /**
     * pg_basebackup of {@code primary} into {@code target} (created; must not exist or be empty), after a fast
     * checkpoint: the default spread one can hold the copy back for minutes (0.9 x checkpoint_timeout).
     */
    void basebackup(PgControl primary, Path target) {
        node.run(Duration.ofMinutes(5), node.bin.resolve("pg_basebackup").toString(), "-D", target.toString(), "-d",
                conninfo(primary, PgControl.REPLICATION_USER), "-w", "-X", "stream", "-c", "fast", "-S", slot(node.name));
    }

    /** The standby's slot on {@code primary}, created unless it exists (a retried clone or a rewound node reuses it). */
    private static void ensureSlot(PgControl primary, String slot) {
        primary.sql("SELECT pg_create_physical_replication_slot('" + slot + "', true) WHERE NOT EXISTS "
                + "(SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "')");
    }

    /** The old primary rejoins {@code newPrimary} as its standby: rewind, standby config, start. */
    void rewindFrom(PgControl newPrimary) {
        node.stop();
        newPrimary.sql("CHECKPOINT"); // otherwise pg_rewind may see no timeline fork yet
        ensureSlot(newPrimary, slot(node.name));
        node.run(Duration.ofMinutes(5), node.bin.resolve("pg_rewind").toString(), "--target-pgdata=" + node.data,
                "--source-server=" + conninfo(newPrimary, "postgres") + " dbname=postgres");
        followConfig(newPrimary, false);
        node.start();
    }

    /**
     * The standby configuration in postgresql.auto.conf, which a copy or a rewind took from the primary: its own
     * primary_conninfo and slot, and none of the primary's synchronous_standby_names, read-only default or restore's
     * recovery settings ({@link PgControl#RECOVERY_SETTINGS}: the primary may be copied while it still recovers to a
     * target, and a standby that inherits one promotes itself). {@code ownRestoreCommand}: pgBackRest's
     * {@code --type=standby} restore wrote this node's restore_command, which stays.
     */
    private void followConfig(PgControl primary, boolean ownRestoreCommand) {
        try {
            Path auto = node.data.resolve("postgresql.auto.conf");
            List<String> lines = new ArrayList<>(Files.exists(auto) ? Files.readAllLines(auto) : List.of());
            List<String> dropped = new ArrayList<>(List.of("primary_conninfo", "primary_slot_name",
                    "synchronous_standby_names", "default_transaction_read_only"));
            PgControl.RECOVERY_SETTINGS.stream().filter(r -> !ownRestoreCommand || !r.equals("restore_command"))
                    .forEach(dropped::add);
            lines.removeIf(l -> dropped.stream().anyMatch(r -> setting(l, r)));
            Path passfile = node.passfile(); // the password stays out of the data directory and its copies
            lines.add("primary_conninfo = 'host=" + primary.host + " port=" + primary.port + " user="
                    + PgControl.REPLICATION_USER + " application_name=" + node.name
                    + (passfile == null ? "" : " passfile=" + passfile.toAbsolutePath()) + node.tlsOptions() + "'");
            lines.add("primary_slot_name = '" + slot(node.name) + "'");
            Files.write(auto, lines);
            // a copy of a server in recovery carries its recovery.signal: standby.signal wins, but one taken away
            // offline would leave a node that recovers to nothing and refuses to start
            Files.deleteIfExists(node.data.resolve("recovery.signal"));
            Files.writeString(node.data.resolve("standby.signal"), "");
            if (node.osUser != null && PgControl.isRoot()) {
                node.run(Duration.ofSeconds(10), "chown", "-R", node.osUser + ":", node.data.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether {@code line} of postgresql.auto.conf sets {@code name}: as PostgreSQL reads it, names in any case and
     * any whitespace before the {@code =} (not a line whose name merely starts so).
     */
    private static boolean setting(String line, String name) {
        String l = line.strip();
        return l.regionMatches(true, 0, name, 0, name.length()) && (l.length() == name.length()
                || Character.isWhitespace(l.charAt(name.length())) || l.charAt(name.length()) == '=');
    }

    /** libpq connection string for the tools, with a connect timeout. */
    private String conninfo(PgControl pg, String user) {
        return "host=" + pg.host + " port=" + pg.port + " user=" + user + " connect_timeout="
                + PgControl.CONNECT_TIMEOUT_S + node.tlsOptions();
    }

    private static String slot(String standbyName) {
        return "gk8s_" + standbyName.replace('-', '_');
    }
}
