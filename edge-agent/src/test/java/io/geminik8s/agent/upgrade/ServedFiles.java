package io.geminik8s.agent.upgrade;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

/** A loopback HTTP server answering GET {path} with {@code files}' bytes (404 for any other): an artifact mirror. */
final class ServedFiles implements AutoCloseable {

    private final HttpServer server;

    ServedFiles(Map<String, byte[]> files) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] b = files.get(ex.getRequestURI().getPath());
            ex.sendResponseHeaders(b == null ? 404 : 200, b == null ? -1 : b.length);
            try (OutputStream out = ex.getResponseBody()) {
                if (b != null) {
                    out.write(b);
                }
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
