package io.geminik8s.agent.pg;

import java.nio.file.Path;

/** The node's certificate chain, key and the fleet CA (PEM, as enrolled) that its PostgreSQL uses for TLS. */
public record PgTlsFiles(Path cert, Path key, Path ca) {
}
