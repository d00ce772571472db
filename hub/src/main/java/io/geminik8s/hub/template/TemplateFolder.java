package io.geminik8s.hub.template;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * GitOps: scans {@code gk8s.templates.dir} at start and every {@code scan-interval}; a changed file becomes the next
 * revision of its template (if it passes validation and the skew rules), an unchanged one nothing. The last scan's
 * outcome per file is kept for {@code GET /api/v1/templates/folder}.
 */
@ApplicationScoped
public class TemplateFolder {

    private static final Logger LOG = Logger.getLogger(TemplateFolder.class);

    /** What the last scan did with one file: {@code revision} (new or unchanged) or the problems. */
    public record FileResult(String file, String template, Integer revision, boolean created, List<String> problems) {
    }

    public record Scan(String dir, Instant at, List<FileResult> files) {
    }

    private final TemplateConfig config;
    private final TemplateStore store;
    private volatile Scan last;

    public TemplateFolder(TemplateConfig config, TemplateStore store) {
        this.config = config;
        this.store = store;
    }

    void start(@Observes StartupEvent ev, Vertx vertx) {
        config.dir().ifPresent(dir -> {
            scan().subscribe().with(s -> { }, TemplateFolder::failed);
            // a Periodic job: stopped at shutdown like the others, before the database pool closes
            io.geminik8s.hub.Periodic.every(vertx, java.time.Duration.ofMillis(Math.max(1000,
                    config.scanInterval().toMillis())), () -> scan().replaceWithVoid().onFailure().recoverWithItem(e -> {
                        failed(e);
                        return null;
                    }));
        });
    }

    /** One line, its stack only at DEBUG: a database outage fails every scan until it ends. */
    private static void failed(Throwable e) {
        LOG.warnf("template folder scan failed: %s", e.toString());
        LOG.debug("template folder scan failure", e);
    }

    public Scan last() {
        return last;
    }

    /** Reads the folder off the event loop, then adds each file in turn. */
    public Uni<Scan> scan() {
        Path dir = Path.of(config.dir().orElseThrow());
        return Uni.createFrom().item(() -> read(dir)).runSubscriptionOn(io.smallrye.mutiny.infrastructure.Infrastructure
                        .getDefaultWorkerPool())
                .chain(files -> {
                    Map<String, String> names = names(files);
                    return Multi.createFrom().iterable(files.entrySet())
                            .onItem().transformToUniAndConcatenate(f -> {
                                String other = otherFileNaming(names, f.getKey());
                                return other != null ? Uni.createFrom().item(new FileResult(f.getKey(), null, null,
                                        false, List.of(f.getKey() + ": the same template is defined in " + other)))
                                        : store.add(f.getKey(), f.getValue(), "folder:" + f.getKey(), "folder")
                                                .map(a -> result(f.getKey(), a));
                            })
                            .collect().asList();
                })
                .map(results -> {
                    results.stream().filter(r -> !r.problems().isEmpty())
                            .forEach(r -> r.problems().forEach(p -> LOG.warn("template " + p)));
                    results.stream().filter(FileResult::created).forEach(r -> LOG.infof(
                            "template %s revision %d from %s", r.template(), r.revision(), r.file()));
                    last = new Scan(dir.toString(), Instant.now(), results);
                    return last;
                });
    }

    /** The template name each valid file defines (files that do not load are left to the store to report). */
    private static Map<String, String> names(Map<String, String> files) {
        Map<String, String> names = new TreeMap<>();
        files.forEach((file, text) -> {
            var loaded = TemplateLoader.load(file, text);
            if (loaded.ok()) {
                names.put(file, loaded.template().metadata().name());
            }
        });
        return names;
    }

    /** Another file with the same template name, if any (both are refused: which one wins would be a guess). */
    private static String otherFileNaming(Map<String, String> names, String file) {
        String mine = names.get(file);
        return mine == null ? null : names.entrySet().stream()
                .filter(e -> !e.getKey().equals(file) && e.getValue().equals(mine)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
    }

    private static FileResult result(String file, TemplateStore.Added a) {
        return a.revision() == null
                ? new FileResult(file, null, null, false, a.problems().stream().map(TemplateProblem::toString).toList())
                : new FileResult(file, a.revision().name(), a.revision().revision(), a.created(), List.of());
    }

    private static Map<String, String> read(Path dir) {
        Map<String, String> files = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            LOG.warnf("template folder %s does not exist", dir);
            return files;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).toList()) {
                files.put(p.getFileName().toString(), Files.readString(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }
}
