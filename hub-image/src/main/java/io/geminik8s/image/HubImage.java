package io.geminik8s.image;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Port;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Packs the staged root file system (src/image/stage.sh) into an OCI image tar with Jib, without a Docker engine
 * or a registry: no base image, five layers from the least to the most often changed (system libraries, Java
 * runtime, the app's dependencies, the app, the state folder), everything owned by root except the state folder,
 * run as the user gk8s (10001). Usage: {@code HubImage ROOTFS OUT.tar IMAGE_NAME}.
 */
public final class HubImage {

    static final String USER = "10001:10001";
    static final String STATE = "/var/lib/gk8s";
    static final List<String> ENTRYPOINT = List.of("/opt/java/bin/java", "-XX:+UseSerialGC",
            "-XX:MaxRAMPercentage=75", "-Djava.io.tmpdir=" + STATE + "/tmp", "-Dgk8s.embedded=false",
            "-Dquarkus.http.host=0.0.0.0", "-jar", "/app/quarkus-run.jar");

    private HubImage() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: HubImage ROOTFS OUT.tar IMAGE_NAME");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Path work = out.resolveSibling("jib-cache");
        Path emptyDir = Files.createDirectories(work.resolve("empty"));
        JibContainerBuilder image = Jib.fromScratch().setFormat(ImageFormat.OCI)
                .addFileEntriesLayer(layer("system", root, p -> !p.startsWith(root.resolve("opt"))
                        && !p.startsWith(root.resolve("app"))))
                .addFileEntriesLayer(layer("java-runtime", root, p -> p.startsWith(root.resolve("opt"))))
                .addFileEntriesLayer(layer("app-dependencies", root, p -> p.startsWith(root.resolve("app/lib"))))
                .addFileEntriesLayer(layer("app", root, p -> p.startsWith(root.resolve("app"))
                        && !p.startsWith(root.resolve("app/lib"))))
                .addFileEntriesLayer(FileEntriesLayer.builder().setName("state")
                        .addEntry(emptyDir, AbsoluteUnixPath.get(STATE), FilePermissions.fromOctalString("700"),
                                Instant.EPOCH, USER)
                        .addEntry(emptyDir, AbsoluteUnixPath.get(STATE + "/tmp"), FilePermissions.fromOctalString("700"),
                                Instant.EPOCH, USER)
                        .build())
                .setEntrypoint(ENTRYPOINT)
                .setUser(USER)
                .setWorkingDirectory(AbsoluteUnixPath.get(STATE))
                .setExposedPorts(Set.of(Port.tcp(8080)))
                .setLabels(Map.of("org.opencontainers.image.title", "geminik8s hub",
                        "org.opencontainers.image.description", "The geminik8s hub; external PostgreSQL and MQTT"
                                + " broker through QUARKUS_DATASOURCE_* and GK8S_MQTT_* (docs/operations.md)"));
        image.containerize(Containerizer.to(TarImage.at(out).named(args[2]))
                .setApplicationLayersCache(work.resolve("app"))
                .setBaseImageLayersCache(work.resolve("base")).setOfflineMode(true).setToolName("gk8s-hub-image"));
        System.out.println("HubImage: " + args[2] + " written to " + out + " (" + Files.size(out) / (1024 * 1024)
                + " MiB)");
    }

    /** Every file and folder under {@code root} that {@code in} takes, at its path in the image, owned by root. */
    private static FileEntriesLayer layer(String name, Path root, Predicate<Path> in) throws IOException {
        FileEntriesLayer.Builder b = FileEntriesLayer.builder().setName(name);
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(p -> !p.equals(root)).filter(in).sorted().toList()) {
                boolean exec = Files.isDirectory(p) || Files.isExecutable(p);
                b.addEntry(p, AbsoluteUnixPath.get("/" + root.relativize(p).toString().replace('\\', '/')),
                        FilePermissions.fromOctalString(exec ? "755" : "644"), Instant.EPOCH, "0:0");
            }
        }
        return b.build();
    }
}
