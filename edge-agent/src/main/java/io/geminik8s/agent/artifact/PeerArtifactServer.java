package io.geminik8s.agent.artifact;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves this node's checked artifacts to its peer on the site LAN ({@code GET /artifacts/<name>-<version>},
 * {@code Range: bytes=N-}), so that the second node of a pair need not fetch them over the WAN. Only checked files
 * directly in the store folder (never a {@code .part}, a link or a folder); the peer checks the signature and digest
 * as for any source. One thread: a peer, not a CDN.
 */
public final class PeerArtifactServer implements AutoCloseable {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.+_-]{0,127}");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{1,18})-");

    private final HttpServer server;
    private final Path dir;

    public PeerArtifactServer(InetSocketAddress bind, Path dir) throws IOException {
        this.dir = dir;
        this.server = HttpServer.create(bind, 8);
        server.createContext("/artifacts/", this::handle);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gk8s-peer-artifacts");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            String name = ex.getRequestURI().getPath().substring("/artifacts/".length());
            Path file = NAME.matcher(name).matches() && !name.endsWith(".part") ? dir.resolve(name) : null;
            if (file == null || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            long size = Files.size(file);
            String range = ex.getRequestHeaders().getFirst("Range");
            long from = 0;
            if (range != null) {
                Matcher m = RANGE.matcher(range.trim());
                from = m.matches() ? Long.parseLong(m.group(1)) : -1;
                if (from < 0 || from >= size) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + size);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size);
            }
            ex.sendResponseHeaders(range == null ? 200 : 206, size - from);
            try (InputStream in = Files.newInputStream(file); OutputStream out = ex.getResponseBody()) {
                in.skipNBytes(from);
                in.transferTo(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
