package io.geminik8s.hub.enrollment;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Enrollment, prefix {@code gk8s.enrollment} (docs/security.md#enrollment). */
@ConfigMapping(prefix = "gk8s.enrollment")
public interface EnrollmentConfig {

    /** How long a claim token enrolls nodes. */
    @WithDefault("24h")
    Duration claimLifetime();

    /** Upper bound for checking a request and signing its certificate (on a worker thread). */
    @WithDefault("5s")
    Duration signTimeout();

    /** A node whose newest certificate expires within this counts in {@code gk8s_certificates_expiring}. */
    @WithDefault("7d")
    Duration expiryWarning();

    /** How often the expiry gauges are read from PostgreSQL. */
    @WithDefault("60s")
    Duration expiryCheckInterval();

    /** Refused enrollment and renewal requests logged per minute at most; all are counted. */
    @WithDefault("20")
    int refusalLogsPerMinute();
}
