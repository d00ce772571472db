package io.geminik8s.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The golden vectors: one file per message kind and schema version under {@code golden/<version>/<kind>.json}
 * (the kind's enum name in lower case).
 * Shipped in the protocol test-jar so hub and agent tests read the very same bytes.
 */
public final class Golden {

    public static final String V1_0 = "1.0";

    private Golden() {
    }

    public static byte[] bytes(String version, Kind kind) {
        String path = "/golden/" + version + "/" + kind.name().toLowerCase(java.util.Locale.ROOT) + ".json";
        try (InputStream in = Golden.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no golden vector " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The values the 1.0 vectors must decode to, written out by hand. */
    public static Message expected(Kind kind) {
        Codec codec = new Codec();
        return switch (kind) {
            case BIRTH -> new Birth("1.0", "store-0042", "a", 1795708800000001L, 1795708800123L, "0.1.0", "store-0042-a",
                    Role.PRIMARY,
                    Map.of("k3s", "v1.31.4+k3s1", "postgres", "15.18", "os", "Debian 12", "kernel", "6.1.0-28-amd64"),
                    List.of("health", "events", "commands"), Map.of("region", "eu-west", "kind", "store"), 7L);
            case STATUS -> new Status("1.0", "store-0042", "a", 1795708800000001L, false, 1795708800123L, "last-will");
            case HEALTH -> new Health("1.0", "store-0042", "a", 1795708830123L, 12.5, 1073741824L, 8589934592L,
                    21474836480L, 107374182400L, 86400L, new Health.Pg(Role.PRIMARY, 0L, true, null),
                    List.of(new Health.CertExpiry("/etc/gk8s/node.crt", 1827244800000L, null)), null);
            case EVENT -> new Event("1.0", "store-0042", "a", 17L, 1795708831000L, "pg.role-changed", Severity.WARNING,
                    "PostgreSQL promoted to primary", Map.of("from", "standby", "to", "primary"));
            case RESULT -> new CommandResult("1.0", "cmd-7f3a", "store-0042", "a", 1795708832000L,
                    CommandResult.Outcome.OK, "pong");
            case DESIRED -> new DesiredState("1.0", "store-0042", 8L, 1795708800000L, codec.mapper().createObjectNode()
                    .put("template", "store-standard").put("revision", 3).put("k3s", "v1.31.4+k3s1"), null);
            case COMMAND -> new Command("1.0", "cmd-7f3a", "store-0042", "a", "ping", Map.of(), 1795708800000L,
                    1795709100000L);
            case WITNESS -> new WitnessRequest("1.0", "w-0042-a-19", "store-0042", "b", 1795708840000L,
                    WitnessRequest.Op.PROMOTE, 8L, null, 1600L);
            case WITNESS_REPLY -> new WitnessReply("1.0", "w-0042-a-19", "store-0042", "b", 1795708840050L,
                    WitnessReply.Outcome.WAIT, 7L, "a", null, 1500L, "lease of epoch 7 held by a lapses in 1500 ms");
        };
    }
}
