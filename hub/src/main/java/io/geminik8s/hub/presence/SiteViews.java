package io.geminik8s.hub.presence;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** JSON shapes of the presence API (field names are part of the API: docs/api.md). */
public final class SiteViews {

    private SiteViews() {
    }

    public record SiteSummary(String id, String status, String statusReason, String registration,
                              Map<String, String> labels, int nodesOnline, int nodesTotal, OffsetDateTime firstSeen,
                              OffsetDateTime updatedAt, String template, Integer revision,
                              SiteUpgrade.View upgrade) {
    }

    public record SitePage(List<SiteSummary> items, int page, int size, long total) {
    }

    public record NodeView(String id, boolean online, String offlineReason, String role, Boolean replicationOk,
                           OffsetDateTime lastSeen, long session, String agentVersion, String hostname,
                           Map<String, String> versions, Long lastAppliedGeneration, JsonNode health,
                           OffsetDateTime healthAt) {
    }

    public record SiteDetail(String id, String status, String statusReason, String registration,
                             Map<String, String> labels, OffsetDateTime firstSeen, OffsetDateTime updatedAt,
                             List<NodeView> nodes, SiteUpgrade.View upgrade) {
    }

    public record EventView(String node, long seq, OffsetDateTime ts, String type, String severity, String message,
                            Map<String, String> attrs, OffsetDateTime received) {
    }

    public record EventPage(List<EventView> items, int limit) {
    }
}
