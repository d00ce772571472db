package io.geminik8s.hub.template;

import java.util.List;
import java.util.Map;

/**
 * A declarative template for a kind of site (fleet-templates/*.yaml): what every site bound to it should run.
 * Sites are bound by {@code spec.selector} (labels) and pinned to a revision; per-site values (the VIP address) are
 * site overrides. Field-by-field documentation: fleet-templates/README.md.
 */
public record SiteTemplate(String apiVersion, String kind, Metadata metadata, Spec spec) {

    public static final String API_VERSION = "gk8s/v1";
    public static final String KIND = "SiteTemplate";

    public record Metadata(String name, String description, Map<String, String> labels) {
    }

    /**
     * {@code artifacts} (optional): the signed files nodes fetch and check before installing (the protocol's
     * {@link io.geminik8s.protocol.Artifact}); one per name, a {@code k3s} or {@code agent} one at this template's
     * version of it. {@code backup} (optional): the site's backups, checked by the agents' own validator
     * ({@link io.geminik8s.protocol.BackupSpec}, docs/backup.md: any shape here, so its messages name the
     * problem) and handed to them as it is.
     */
    public record Spec(Map<String, String> selector, Versions versions, Postgres postgres, Vip vip,
                       Certificates certificates, Health health, RolloutDefaults rollout,
                       java.util.List<io.geminik8s.protocol.Artifact> artifacts, Object backup) {
        public Spec {
            artifacts = artifacts == null ? null : java.util.List.copyOf(artifacts);
        }
    }

    /** {@code k3s} like v1.31.4+k3s1; {@code agent} semver; {@code postgresMajor} e.g. 15. */
    public record Versions(String k3s, String agent, Integer postgresMajor) {
    }

    /**
     * {@code settings}: postgresql.conf parameters (those the HA supervisor manages are refused);
     * {@code migration}: {@code major-upgrade} allows this revision to change the PostgreSQL major version.
     */
    public record Postgres(Map<String, String> settings, String migration) {
    }

    public record Vip(String device, Integer prefixLength) {
    }

    /**
     * The agents' certificates' lifetime and renewal; {@code files} (optional): public certificate files the nodes
     * install, K3s restarted pair-aware ({@link io.geminik8s.protocol.CertificateFiles}, docs/upgrades.md: any shape
     * here, so its messages name the problem).
     */
    public record Certificates(Integer agentLifetimeDays, Integer renewBeforeDays, Object files) {
        public Certificates(Integer agentLifetimeDays, Integer renewBeforeDays) {
            this(agentLifetimeDays, renewBeforeDays, null);
        }
    }

    /** What "healthy" means while a rollout verifies a site. */
    public record Health(Double cpuPctMax, Double diskPctMax, Long replicationLagBytesMax, Integer soakSeconds) {
    }

    /**
     * Defaults for rollouts to this template: {@code canary} a count ("1") or a share ("2%"), {@code waves} shares
     * ending at 100%, soak per wave, sites in flight at most, the failure share that stops a wave, and whether that
     * pauses or aborts (with rollback).
     */
    public record RolloutDefaults(String canary, List<String> waves, Integer soakMinutes, Integer maxInFlight,
                                  Double failureThreshold, String onFailure) {
    }
}
