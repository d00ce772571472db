package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review probe (attacker review of the agent's own update, 78d1970): a record written by this agent is unreadable by
 * the agent release before it. FAILS on the code as reviewed.
 *
 * <p>FINDING (medium): UpgradeRecord is made lenient only from 78d1970 on; every earlier agent (c77cda7 and before)
 * reads upgrade.json with a default ObjectMapper, which fails on unknown properties. This agent always writes
 * {@code agentFrom}, {@code agentTo} and {@code certificates}, null or not. An operator who goes back by
 * {@code apt install} to the earlier package (docs/upgrades.md: "A package install wins") gets an agent whose
 * UpgradeCoordinator constructor throws "unreadable upgrade record": the agent does not start, systemd restarts it
 * every 2 s for ever — even when the last generation had no agent or certificate change at all. The
 * {@code OldRecord} below is c77cda7's UpgradeRecord, read the way c77cda7 reads it.
 */
class ReviewProbeUpgradeRecordCompatTest {

    /** c77cda7's UpgradeRecord (edge-agent/src/main/java/io/geminik8s/agent/upgrade/UpgradeRecord.java). */
    record OldRecord(long generation, String step, String from, String to, String error, long settled,
                     Map<String, String> settings) {
    }

    @TempDir
    Path dir;

    @Test
    void aRecordOfAGenerationWithoutAgentOrFilesIsReadByThePreviousRelease() throws Exception {
        Path f = dir.resolve("upgrade.json");
        new UpgradeRecord(7, "done", "v1.31.4+k3s1", "v1.31.5+k3s1", null, 7, Map.of("work_mem", "8MB")).save(f);
        String json = Files.readString(f);
        assertDoesNotThrow(() -> new ObjectMapper().readValue(json, OldRecord.class),
                "the previous release cannot read " + json + ": it does not start after a package downgrade");
    }
}
