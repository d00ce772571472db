package io.geminik8s.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * An OCI image tar read as a runtime reads it: oci-layout, index.json → manifest → config and layers (gzip tars),
 * each layer checked entry by entry and unpacked in order.
 */
final class OciImage {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final JsonNode config;
    private final List<Path> layers;
    private final List<String> worldWritable = new ArrayList<>();
    private final List<String> setuid = new ArrayList<>();

    private OciImage(JsonNode config, List<Path> layers) throws IOException {
        this.config = config;
        this.layers = List.copyOf(layers);
        for (Path layer : layers) {
            try (InputStream in = Files.newInputStream(layer);
                 TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
                for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                    if (!e.isSymbolicLink() && (e.getMode() & 0002) != 0) {
                        worldWritable.add(e.getName());
                    }
                    if ((e.getMode() & 06000) != 0) {
                        setuid.add(e.getName());
                    }
                }
            }
        }
    }

    static OciImage read(Path tar) throws Exception {
        Path dir = Files.createDirectories(tar.resolveSibling("image-test").resolve("oci"));
        run("rm", "-rf", dir.toString());
        Files.createDirectories(dir);
        run("tar", "-xf", tar.toString(), "-C", dir.toString());
        if (!JSON.readTree(dir.resolve("oci-layout").toFile()).path("imageLayoutVersion").asText().equals("1.0.0")) {
            throw new IllegalStateException("not an OCI image layout: " + tar);
        }
        JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
        JsonNode manifest = JSON.readTree(blob(dir, index.path("manifests").get(0)).toFile());
        List<Path> layers = new ArrayList<>();
        for (JsonNode l : manifest.path("layers")) {
            if (!l.path("mediaType").asText().endsWith("tar+gzip")) {
                throw new IllegalStateException("unexpected layer type " + l.path("mediaType"));
            }
            layers.add(blob(dir, l));
        }
        return new OciImage(JSON.readTree(blob(dir, manifest.path("config")).toFile()), layers);
    }

    private static Path blob(Path dir, JsonNode descriptor) {
        String digest = descriptor.path("digest").asText();
        return dir.resolve("blobs").resolve("sha256").resolve(digest.substring("sha256:".length()));
    }

    JsonNode config() {
        return config;
    }

    List<String> worldWritable() {
        return worldWritable;
    }

    List<String> setuid() {
        return setuid;
    }

    /** The layers unpacked in order into {@code root} (emptied first), owners and modes kept. */
    Path unpack(Path root) throws Exception {
        run("rm", "-rf", root.toString());
        Files.createDirectories(root);
        for (Path layer : layers) {
            run("tar", "--warning=no-unknown-keyword", "-xzpf", layer.toString(), "--same-owner", "-C", root.toString());
        }
        return root;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + ": exit " + p.exitValue());
        }
    }
}
