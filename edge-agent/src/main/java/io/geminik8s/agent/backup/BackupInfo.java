package io.geminik8s.agent.backup;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * What {@code pgbackrest info --output=json} says of one stanza: the last good backup of each type (their stop
 * times), the newest one's label, the bytes the backups take in the repository (WAL not counted) and the newest WAL
 * segment archived. {@code ok} is pgBackRest's status code 0.
 */
public record BackupInfo(boolean ok, String status, Instant lastFull, Instant lastDiff, Instant lastIncr,
                         String lastLabel, long backupBytes, String archiveMax, int backups) {

    /** pgBackRest 2.45 copies a file's undecryptable bytes into its error message unescaped. */
    private static final io.geminik8s.protocol.JsonTree JSON = new io.geminik8s.protocol.JsonTree(20_000_000, true);

    public static BackupInfo parse(String json, String stanza) {
        try {
            JsonNode stanzas = JSON.read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (JsonNode s : stanzas) {
                if (!stanza.equals(s.path("name").asText())) {
                    continue;
                }
                Instant full = null;
                Instant diff = null;
                Instant incr = null;
                String label = null;
                Instant newest = null;
                long bytes = 0;
                int n = 0;
                for (JsonNode b : s.path("backup")) {
                    if (b.path("error").asBoolean(false)) {
                        continue;
                    }
                    n++;
                    Instant stop = Instant.ofEpochSecond(b.path("timestamp").path("stop").asLong());
                    bytes += b.path("info").path("repository").path("delta").asLong();
                    switch (BackupType.of(b.path("type").asText())) {
                        case FULL -> full = BackupPlanner.latest(full, stop);
                        case DIFF -> diff = BackupPlanner.latest(diff, stop);
                        case INCR -> incr = BackupPlanner.latest(incr, stop);
                    }
                    if (newest == null || !stop.isBefore(newest)) {
                        newest = stop;
                        label = b.path("label").asText();
                    }
                }
                String max = null;
                for (JsonNode a : s.path("archive")) {
                    String m = a.path("max").asText(null);
                    if (m != null && (max == null || m.compareTo(max) > 0)) {
                        max = m;
                    }
                }
                JsonNode st = s.path("status");
                String message = st.path("message").asText();
                for (JsonNode r : s.path("repo")) {
                    if (r.path("status").path("code").asInt(0) != 0) {
                        message += "; repo" + r.path("key").asText() + ": " + r.path("status").path("message").asText();
                    }
                }
                return new BackupInfo(st.path("code").asInt(-1) == 0, message, full, diff, incr,
                        label, bytes, max, n);
            }
            return new BackupInfo(false, "no stanza " + stanza, null, null, null, null, 0, null, 0);
        } catch (java.io.IOException | IllegalArgumentException e) {
            return new BackupInfo(false, "unreadable info: " + e.getMessage(), null, null, null, null, 0, null, 0);
        }
    }

    /** The planner's history from the repository (the failure is the agent's own memory). */
    public BackupPlanner.History history(Instant lastFailure) {
        return new BackupPlanner.History(lastFull, lastDiff, lastIncr, lastFailure);
    }
}
