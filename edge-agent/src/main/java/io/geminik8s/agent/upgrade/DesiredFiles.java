package io.geminik8s.agent.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.protocol.CertificateFiles;
import java.time.Instant;
import java.util.Map;

/** A desired state's certificate files, parsed and checked once per generation (X.509 parsing is not for every tick). */
final class DesiredFiles {

    private UpgradeCoordinator.Desired parsedOf;
    private Map<String, String> files;
    private String refused;

    /** The spec's certificate files (name → PEM; none: empty), or null when they are refused. */
    synchronized Map<String, String> of(UpgradeCoordinator.Desired d) {
        parse(d);
        return files;
    }

    /** Why the spec's certificate files are refused, or null. */
    synchronized String problem(UpgradeCoordinator.Desired d) {
        parse(d);
        return refused;
    }

    private void parse(UpgradeCoordinator.Desired d) {
        if (d == parsedOf) {
            return;
        }
        JsonNode node = d.spec().path("certificates").path("files");
        try {
            files = CertificateFiles.parse(node.isMissingNode() || node.isNull() ? null
                    : io.geminik8s.protocol.JsonTree.plain(node), Instant.now());
            refused = null;
        } catch (IllegalArgumentException e) {
            files = null;
            refused = e.getMessage();
        }
        parsedOf = d;
    }
}
