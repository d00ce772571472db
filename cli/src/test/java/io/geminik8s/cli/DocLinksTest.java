package io.geminik8s.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relative reference in the repository's Markdown (README.md, docs/*.md, the modules' READMEs and reports)
 * names a file that is in the repository: Markdown links {@code [text](path)} resolved from the document's folder,
 * and file paths written out in the text ({@code docs/security.md}, {@code load-tests/reports/x.md},
 * {@code ../elsewhere/y.md}) resolved from the repository root or the document's folder. A path that leaves the
 * repository ({@code ../shared/...}) fails even where the file exists on this machine: a reader of a clone has none.
 */
class DocLinksTest {

    /** A Markdown link's target: {@code [text](target)}, outside code. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    /** A file path written out: at least one folder, a file name with one of these extensions. */
    private static final Pattern PATH = Pattern.compile("(?<![\\w/~.$-])((?:\\.\\./|\\./)*(?:[\\w.-]+/)+[\\w.-]+"
            + "\\.(?:md|java|json|ya?ml|sh|sql|properties|xml|txt|csv|conf|service|rules))(?![\\w/-])");
    /** Fenced code blocks and inline code: a regular expression there is not a link. */
    private static final Pattern CODE = Pattern.compile("(?s)```.*?```|`[^`\\n]*`");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    @Test
    void everyReferenceInTheRepositorysMarkdownResolvesInsideTheRepository() throws IOException {
        Path root = repositoryRoot();
        List<Path> docs = markdown(root);
        assertTrue(docs.contains(root.resolve("README.md")) && docs.contains(root.resolve("docs/rollouts.md")),
                "README.md and docs/*.md are scanned: " + docs);
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path doc : docs) {
            Scan scan = scan(root, doc);
            problems.addAll(scan.problems());
            checked += scan.checked();
        }
        assertTrue(checked > 50, "the scan finds the references the docs are full of, found " + checked);
        assertEquals(List.of(), problems, "references to files that are not in the repository");
    }

    @Test
    void theScanFindsLinksAndPathsThatLeaveTheRepositoryOrDoNotExist(@TempDir Path tmp) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("repo"));
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(tmp.resolve("outside.md"), "exists, but not in the repository");
        Files.writeString(root.resolve("docs/ok.md"), "fine");
        Path doc = root.resolve("docs/a.md");
        Files.writeString(doc, """
                [ok](ok.md) and [anchor](#terms), [web](https://example.org/x.md), docs/ok.md, `docs/ok.md`;
                [outside](../../outside.md) and ../../outside.md, [missing](missing.md), `docs/missing.md`;
                a regex `[a-z]{0,61}(x)` and ~/.config/gk8s/config.yaml are neither.
                """);
        Scan scan = scan(root, doc);
        assertEquals(List.of("docs/a.md: link ../../outside.md leaves the repository",
                "docs/a.md: link missing.md: no such file",
                "docs/a.md: path ../../outside.md leaves the repository",
                "docs/a.md: path docs/missing.md: no such file"), scan.problems());
        assertEquals(8, scan.checked());
    }

    private record Scan(List<String> problems, int checked) {
    }

    private static Scan scan(Path root, Path doc) throws IOException {
        String text = Files.readString(doc);
        String name = root.relativize(doc).toString();
        Path dir = doc.getParent();
        Set<String> problems = new TreeSet<>();
        int checked = 0;
        Matcher links = LINK.matcher(CODE.matcher(text).replaceAll(""));
        while (links.find()) {
            String target = links.group(1);
            if (SCHEME.matcher(target).find() || target.startsWith("#")) {
                continue;
            }
            checked++;
            String file = target.replaceFirst("#.*$", "");
            Path p = dir.resolve(file).normalize();
            if (!p.startsWith(root)) {
                problems.add(name + ": link " + target + " leaves the repository");
            } else if (!Files.exists(p)) {
                problems.add(name + ": link " + target + ": no such file");
            }
        }
        Set<String> top = topLevel(root);
        Matcher paths = PATH.matcher(text);
        while (paths.find()) {
            String path = paths.group(1);
            String first = path.substring(0, path.indexOf('/'));
            if (!first.equals("..") && !top.contains(first)) {
                continue; // not a repository path: a class's folder, a file on a node, a URL's tail
            }
            checked++;
            Path fromRoot = root.resolve(path).normalize();
            Path fromDoc = dir.resolve(path).normalize();
            boolean inside = fromRoot.startsWith(root) || fromDoc.startsWith(root);
            if (!inside) {
                problems.add(name + ": path " + path + " leaves the repository");
            } else if (!(fromRoot.startsWith(root) && Files.exists(fromRoot))
                    && !(fromDoc.startsWith(root) && Files.exists(fromDoc))) {
                problems.add(name + ": path " + path + ": no such file");
            }
        }
        return new Scan(new ArrayList<>(problems), checked);
    }

    private static Set<String> topLevel(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            Set<String> names = new TreeSet<>();
            s.filter(Files::isDirectory).forEach(p -> names.add(p.getFileName().toString()));
            return names;
        }
    }

    /** Every Markdown file of the repository, leaving out build output and hidden folders (data, IDE, VCS). */
    private static List<Path> markdown(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                String n = d.getFileName() == null ? "" : d.getFileName().toString();
                return !d.equals(root) && (n.startsWith(".") || n.equals("target") || n.equals("node_modules"))
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (f.getFileName().toString().endsWith(".md")) {
                    found.add(f);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort(null);
        return found;
    }

    /** Maven runs the tests in the module's folder; the repository root is the first folder up with mvnw and docs. */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("mvnw")) && Files.isDirectory(p.resolve("docs"))) {
                return p;
            }
        }
        throw new UncheckedIOException(new IOException("no repository root above " + Path.of("").toAbsolutePath()));
    }
}
