package io.geminik8s.hub.artifact;

import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.PathPart;

/**
 * The hub as an artifact mirror: the files of {@code gk8s.artifacts.dir}, to anyone, with {@code Range} for resumed
 * downloads. Open on purpose: nodes trust an artifact by the fleet's signature in their desired state, never by
 * where it came from (docs/upgrades.md); only plain files directly in the folder are served, no link is followed.
 */
@Path("/artifacts")
@PermitAll
public class ArtifactResource {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.+_-]{0,127}");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{1,18})-");

    private final ArtifactsConfig config;

    public ArtifactResource(ArtifactsConfig config) {
        this.config = config;
    }

    @GET
    @Path("{file}")
    @Blocking
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "A signed artifact", description = "The file named so in gk8s.artifacts.dir; Range: bytes=N- "
            + "answers 206 from N. No token: nodes check the fleet's signature, not the source.")
    public Response get(@PathParam("file") String file, @HeaderParam("Range") String range) throws IOException {
        if (config.dir().isEmpty()) {
            return problem(404, "this hub serves no artifacts (gk8s.artifacts.dir is not set)");
        }
        if (!NAME.matcher(file).matches()) {
            return problem(404, "no such artifact");
        }
        java.nio.file.Path dir = java.nio.file.Path.of(config.dir().get());
        java.nio.file.Path path = dir.resolve(file);
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            return problem(404, "no such artifact");
        }
        long size = Files.size(path);
        if (range == null) {
            return Response.ok(new PathPart(path, 0, size)).header("Accept-Ranges", "bytes").build();
        }
        Matcher m = RANGE.matcher(range.trim());
        long from = m.matches() ? Long.parseLong(m.group(1)) : -1;
        if (from < 0 || from >= size) {
            return Response.status(416).header("Content-Range", "bytes */" + size).build();
        }
        return Response.status(206).entity(new PathPart(path, from, size - from)).header("Accept-Ranges", "bytes")
                .header("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size).build();
    }

    private static Response problem(int status, String detail) {
        return Response.status(status).type("application/problem+json")
                .entity(java.util.Map.of("status", status, "title", "Not Found", "detail", detail)).build();
    }
}
