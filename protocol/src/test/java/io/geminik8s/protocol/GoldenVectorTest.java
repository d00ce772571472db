package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GoldenVectorTest {

    private final Codec codec = new Codec();

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyGoldenVectorDecodesToTheExpectedRecord(Kind kind) {
        Message decoded = codec.decode(kind.type, Golden.bytes(Golden.V1_0, kind)).orThrow();
        assertEquals(Golden.expected(kind), decoded);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void encodingTheExpectedRecordGivesTheGoldenJson(Kind kind) throws Exception {
        JsonNode encoded = codec.mapper().readTree(codec.encode(Golden.expected(kind)));
        JsonNode golden = codec.mapper().readTree(Golden.bytes(Golden.V1_0, kind));
        assertEquals(golden, encoded);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void roundTripThroughTheTopicKeepsTheValue(Kind kind) {
        Message m = Golden.expected(kind);
        assertEquals(m, codec.decode(Topics.topicOf(m), codec.encode(m)).orThrow());
    }

    @Test
    void aNewerMinorWithUnknownFieldsIsRead() {
        Health h = codec.decode(Health.class, Golden.bytes("1.9", Kind.HEALTH)).orThrow();
        assertEquals("1.9", h.v());
        assertEquals(4096L, h.pg().replicationLagBytes());
        assertEquals(Role.STANDBY, h.pg().role());
        assertNull(h.memUsedBytes());
    }

    @Test
    void minor11AddsTheAppliedGenerationAndActivateNotBefore() {
        Health h = codec.decode(Health.class, Golden.bytes("1.1", Kind.HEALTH)).orThrow();
        assertEquals(9L, h.appliedGeneration());
        DesiredState d = codec.decode(DesiredState.class, Golden.bytes("1.1", Kind.DESIRED)).orThrow();
        assertEquals(1795741200000L, d.activateNotBefore());
        assertEquals(4, d.spec().path("revision").asInt());
        Health old = codec.decode(Health.class, Golden.bytes(Golden.V1_0, Kind.HEALTH)).orThrow();
        assertNull(old.appliedGeneration(), "a 1.0 agent reports no applied generation");
    }

    @Test
    void minor12AddsTheSamplesOrderKey() {
        Health h = codec.decode(Health.class, Golden.bytes("1.2", Kind.HEALTH)).orThrow();
        assertEquals(1000003L, h.session());
        assertEquals(42L, h.sample());
        Health older = new Health("1.2", "s", "a", 99L, null, null, null, null, null, null, null, null, null, 1000003L, 41L);
        Health nextSession = new Health("1.2", "s", "a", 1L, null, null, null, null, null, null, null, null, null,
                2000001L, 0L);
        assertEquals(true, h.newerThan(older), "a later sample of the same session");
        assertEquals(false, older.newerThan(h), "whatever its clock says");
        assertEquals(true, nextSession.newerThan(h), "a later session, though its clock is behind");
        Health unkeyed = codec.decode(Health.class, Golden.bytes("1.1", Kind.HEALTH)).orThrow();
        assertEquals(true, h.newerThan(unkeyed));
        assertEquals(false, unkeyed.newerThan(h));
    }

    @Test
    void minor13AddsWhatRunsOnTheNode() {
        Health h = codec.decode(Health.class, Golden.bytes("1.3", Kind.HEALTH)).orThrow();
        assertEquals("v1.31.5+k3s1", h.runtime().versions().get("k3s"));
        assertEquals(true, h.runtime().k3sReady());
        assertNull(h.runtime().vipAnswers(), "the standby holds no VIP");
        assertEquals(new Health.Upgrade(10L, "done", "v1.31.4+k3s1", "v1.31.5+k3s1", null), h.runtime().upgrade());
        assertNull(codec.decode(Health.class, Golden.bytes("1.2", Kind.HEALTH)).orThrow().runtime(),
                "a 1.2 agent reports no runtime section");
        assertEquals(h, codec.decode(Health.class, codec.encode(h)).orThrow());
    }

    @Test
    void minor14AddsTheDeltaSampleThatTheReaderFillsIn() {
        Health delta = codec.decode(Health.class, Golden.bytes("1.4", Kind.HEALTH)).orThrow();
        assertEquals(true, HealthDelta.isDelta(delta), "1.4 without a session");
        Health base = codec.decode(Health.class, Golden.bytes("1.3", Kind.HEALTH)).orThrow();
        assertEquals(false, HealthDelta.isDelta(base), "a sample with a session is complete");
        assertEquals(false, HealthDelta.isDelta(codec.decode(Health.class, Golden.bytes("1.1", Kind.HEALTH))
                .orThrow()), "an unkeyed sample of an older minor is complete, as it always was");
        Health filled = HealthDelta.over(delta, base);
        assertEquals(1000004L, filled.session(), "the stored sample's session");
        assertEquals(8L, filled.sample());
        assertEquals(1795708860123L, filled.ts(), "the delta's own fields win");
        assertEquals(3.2, filled.cpuPct());
        assertEquals(base.pg(), filled.pg(), "what the delta leaves out is the stored sample's");
        assertEquals(base.runtime(), filled.runtime());
        assertEquals(10L, filled.appliedGeneration());
        assertEquals(true, filled.newerThan(base));
        assertNull(filled.uptimeS(), "no uptime stored, none made up");
        Health withUptime = new Health(base.v(), base.site(), base.node(), base.ts(), null, null, null, null, null,
                86400L, null, null, null, base.session(), base.sample(), null);
        assertEquals(86430L, HealthDelta.over(delta, withUptime).uptimeS(), "a delta's uptime: 30 s on");
        assertEquals(true, HealthDelta.isDelta(codec.decode(Health.class, Golden.bytes("1.9", Kind.HEALTH))
                .orThrow()), "so is a later minor's sample without a session: read, and filled in the same way");
    }

    @Test
    void anUnknownUpgradeStepOrOversizedVersionsAreRefused() {
        String step = "{\"v\":\"1.3\",\"site\":\"s\",\"node\":\"a\",\"runtime\":{\"upgrade\":"
                + "{\"generation\":1,\"step\":\"rm -rf\"}}}";
        assertEquals(true, codec.decode(Health.class, step.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                instanceof Decoded.Failed<Health>);
        String longVersion = "{\"v\":\"1.3\",\"site\":\"s\",\"node\":\"a\",\"runtime\":{\"versions\":"
                + "{\"k3s\":\"" + "9".repeat(129) + "\"}}}";
        assertEquals(true, codec.decode(Health.class, longVersion.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                instanceof Decoded.Failed<Health>);
    }

    @Test
    void aNegativeActivateNotBeforeIsRefused() {
        var bad = "{\"v\":\"1.1\",\"site\":\"s\",\"generation\":2,\"issuedAt\":1,\"spec\":{},\"activateNotBefore\":-5}";
        var d = codec.decode(DesiredState.class, bad.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(true, d instanceof Decoded.Failed<DesiredState>);
    }
}
