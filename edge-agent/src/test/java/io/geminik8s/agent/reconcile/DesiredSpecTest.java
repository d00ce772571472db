package io.geminik8s.agent.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.protocol.DesiredState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The applied spec as the backups read it ({@code Agent.desiredSpec}): across a restart, empty before or when damaged. */
class DesiredSpecTest {

    @TempDir
    Path state;

    @Test
    void theAppliedSpecIsReadBackWithItsBackupSection() throws Exception {
        io.geminik8s.protocol.Codec json = new io.geminik8s.protocol.Codec();
        DesiredStateStore store = new DesiredStateStore(state);
        assertEquals(Map.of(), store.specMap(json), "nothing applied yet");
        String spec = "{\"backup\":{\"schedule\":{\"full\":\"7d\"},\"retention\":{\"full\":2},"
                + "\"repository\":{\"path\":\"/srv/b\"}}}";
        store.apply(new DesiredState("1.1", "s1", 3L, 0L, json.tree(spec.getBytes(StandardCharsets.UTF_8)), null),
                spec.getBytes(StandardCharsets.UTF_8));
        Map<String, ?> read = new DesiredStateStore(state).specMap(json); // after a restart
        Optional<BackupSpec> b = BackupSpec.fromSpec(read);
        assertEquals("/srv/b", b.orElseThrow().repositoryPath());
        assertEquals(2, b.get().retentionFull());

        Files.writeString(state.resolve("desired-spec.json"), "{not json");
        assertEquals(Map.of(), new DesiredStateStore(state).specMap(json), "a damaged file reads as no spec");
        Files.writeString(state.resolve("desired-spec.json"), "{\"a\":1}{\"b\":2}");
        assertEquals(Map.of(), new DesiredStateStore(state).specMap(json), "nor does one with two values");
        Files.writeString(state.resolve("desired-spec.json"), ""); // cut short by a power loss
        assertEquals(Map.of(), new DesiredStateStore(state).specMap(json), "nor does an empty one");
    }
}
