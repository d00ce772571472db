package io.geminik8s.agent.upgrade;

import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The agent's releases in {@code <state>/agent/}, as the package's launcher ({@code gk8s-agent}) reads them:
 * {@code <version>/edge-agent.jar} and {@code <version>/lib/*.jar} (a release bundle unpacked), {@code trial} (the
 * version to start once), {@code trial.started} (written by the launcher when it starts it), {@code trial.failed}
 * (a trial that ended without confirming) and {@code current} (the confirmed version; none: the packaged one).
 * A bundle is a zip of exactly {@code edge-agent.jar} and {@code lib/*.jar} whose jar says the version it is named
 * (this build's bundle holds the node jar alone, its dependencies inside; {@code lib/} is for bundles that ship them
 * beside it).
 */
public final class AgentReleases implements AgentUpdate {

    /** The exit status with which the agent ends to be started again by its service manager (EX_TEMPFAIL). */
    public static final int RESTART_STATUS = 75;

    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}");
    private static final Pattern ENTRY = Pattern.compile("edge-agent\\.jar|lib/|lib/[A-Za-z0-9][A-Za-z0-9._+-]{0,127}\\.jar");
    private static final long MAX_BYTES = 256L << 20;
    private static final int MAX_ENTRIES = 512;

    private final Path dir;
    private final String running;
    private final Runnable exit;

    /** {@code exit}: ends the process with {@link #RESTART_STATUS} (Main); tests stand in for it. */
    public AgentReleases(Path stateDir, String running, Runnable exit) {
        this.dir = stateDir.resolve("agent");
        this.running = running;
        this.exit = exit;
    }

    @Override
    public String running() {
        return running;
    }

    @Override
    public void stage(Path bundle, String version) {
        checkVersion(version);
        Path release = dir.resolve(version);
        if (Files.isRegularFile(release.resolve("edge-agent.jar"))) {
            forgetFailure(version);
            return; // renamed in whole: complete
        }
        Path partial = dir.resolve(".partial-" + version); // a name no version has (versions start alphanumeric)
        boolean staged = false;
        try {
            DurableFiles.privateDirectory(dir);
            delete(partial);
            Files.createDirectories(partial.resolve("lib"));
            unpack(bundle, partial);
            String says = implementationVersion(partial.resolve("edge-agent.jar"), partial);
            if (!version.equals(says)) {
                throw new IllegalStateException("the bundle's edge-agent.jar is version " + says + ", not " + version);
            }
            DurableFiles.fsyncDirectory(partial.resolve("lib"));
            DurableFiles.fsyncDirectory(partial);
            Files.move(partial, release, StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.fsyncDirectory(dir);
            staged = true;
            forgetFailure(version);
        } catch (IOException e) {
            throw new UncheckedIOException("staging agent " + version + ": " + e.getMessage(), e);
        } finally {
            if (!staged) {
                deleteQuietly(partial); // a refused bundle leaves nothing behind
            }
        }
    }

    /** Staged for a new try: an earlier generation's failed trial of it is history. */
    private void forgetFailure(String version) {
        try {
            if (version.equals(read("trial.failed"))) {
                Files.delete(dir.resolve("trial.failed"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            delete(p);
        } catch (IOException | RuntimeException e) {
            // best effort: the next stage of that version deletes it first
        }
    }

    private static void unpack(Path bundle, Path into) throws IOException {
        long total = 0;
        int entries = 0;
        boolean jar = false;
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(bundle))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (++entries > MAX_ENTRIES || !ENTRY.matcher(e.getName()).matches()) {
                    throw new IllegalStateException("not an agent release bundle: entry " + printable(e.getName())
                            + (entries > MAX_ENTRIES ? " (more than " + MAX_ENTRIES + " entries)" : "")
                            + "; a bundle holds edge-agent.jar and lib/*.jar only");
                }
                if (e.isDirectory()) {
                    continue;
                }
                Path out = into.resolve(e.getName());
                if (Files.exists(out)) {
                    throw new IllegalStateException("not an agent release bundle: " + e.getName() + " twice");
                }
                total += copyCapped(zip, out, MAX_BYTES - total);
                DurableFiles.fsync(out);
                jar |= e.getName().equals("edge-agent.jar");
            }
        }
        if (!jar) {
            throw new IllegalStateException("not an agent release bundle: no edge-agent.jar");
        }
    }

    private static long copyCapped(InputStream in, Path out, long left) throws IOException {
        long n = 0;
        byte[] buf = new byte[64 * 1024];
        try (var os = Files.newOutputStream(out)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                n += r;
                if (n > left) {
                    throw new IllegalStateException("not an agent release bundle: more than " + (MAX_BYTES >> 20)
                            + " MB unpacked");
                }
                os.write(buf, 0, r);
            }
        }
        return n;
    }

    /** The jar's version; its Class-Path must name only jars of the bundle's own {@code lib/}. */
    private static String implementationVersion(Path jar, Path release) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            var m = j.getManifest();
            String v = m == null ? null : m.getMainAttributes().getValue("Implementation-Version");
            if (m == null || m.getMainAttributes().getValue("Main-Class") == null) {
                throw new IllegalStateException("not an agent release bundle: edge-agent.jar has no Main-Class");
            }
            String classPath = m.getMainAttributes().getValue("Class-Path");
            for (String entry : classPath == null ? new String[0] : classPath.trim().split("\\s+")) {
                if (!entry.isEmpty() && (!ENTRY.matcher(entry).matches() || !entry.startsWith("lib/")
                        || entry.equals("lib/") || !Files.isRegularFile(release.resolve(entry)))) {
                    throw new IllegalStateException("not an agent release bundle: edge-agent.jar's Class-Path names "
                            + printable(entry) + ", not a jar of the bundle's lib/");
                }
            }
            return v;
        } catch (java.util.zip.ZipException e) {
            throw new IllegalStateException("not an agent release bundle: edge-agent.jar is no jar (" + e.getMessage()
                    + ")");
        }
    }

    @Override
    public void startTrial(String version, long generation) {
        checkVersion(version);
        if (!Files.isRegularFile(dir.resolve(version).resolve("edge-agent.jar"))) {
            throw new IllegalStateException("agent " + version + " is not staged");
        }
        try {
            Files.deleteIfExists(dir.resolve("trial.started"));
            Files.deleteIfExists(dir.resolve("trial.failed"));
            write("trial", version + "\n" + generation); // the launcher starts the version of the first line
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String pendingTrial() {
        return Files.exists(dir.resolve("trial.started")) ? null : read("trial");
    }

    @Override
    public boolean trialFailed(String version, long generation) {
        String[] failed = lines("trial.failed");
        return failed.length > 1 && version.equals(failed[0]) && failed[1].equals(Long.toString(generation));
    }

    @Override
    public void confirm(String version) {
        checkVersion(version);
        try {
            write("current", version);
            Files.deleteIfExists(dir.resolve("trial"));
            Files.deleteIfExists(dir.resolve("trial.started"));
            DurableFiles.fsyncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void abandon(String version, long generation) {
        try {
            write("trial.failed", version + "\n" + generation);
            Files.deleteIfExists(dir.resolve("trial"));
            Files.deleteIfExists(dir.resolve("trial.started"));
            if (version.equals(read("current"))) {
                Files.delete(dir.resolve("current")); // confirmed by a crash-interrupted earlier try: not any more
            }
            DurableFiles.fsyncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void restart() {
        exit.run();
    }

    private void write(String name, String value) throws IOException {
        DurableFiles.privateDirectory(dir);
        DurableFiles.write(dir.resolve(name), (value + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private String[] lines(String name) {
        try {
            return DurableFiles.readText(dir.resolve(name)).map(t -> t.strip().split("\\s*\n\\s*"))
                    .orElse(new String[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first line of {@code name}, or null. */
    private String read(String name) {
        String[] l = lines(name);
        return l.length == 0 || l[0].isEmpty() ? null : l[0];
    }

    private static void checkVersion(String version) {
        if (version == null || !VERSION.matcher(version).matches()) {
            throw new IllegalStateException("not an agent version: " + printable(String.valueOf(version)));
        }
    }

    private static String printable(String s) {
        String t = s.codePoints().limit(80).collect(StringBuilder::new,
                (b, c) -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c), StringBuilder::append).toString();
        return "'" + t + "'";
    }

    private static void delete(Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }
    }
}
