package io.geminik8s.agent.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's .deb (profile {@code deb}: {@code target/gk8s-agent_*_amd64.deb}) installed, upgraded, removed and
 * purged by dpkg in a throwaway root ({@code dpkg --root=DIR --force-script-chrootless}: the maintainer scripts run
 * on this machine with {@code DPKG_ROOT=DIR}; {@code --force-depends}: the root has no libc6 etc. of its own, the
 * runtime runs with this machine's libraries). Needs root and dpkg; required where {@code GK8S_REQUIRE_DPKG=1}
 * ({@code .ci/run}, which also turns the profile on). Not covered: a real systemd starting the unit (no systemd
 * here); the unit is checked by {@code systemd-analyze verify} where that binary exists.
 */
@Tag("deb")
class DebPackageTest {

    private static final String PKG = "gk8s-agent";

    @TempDir
    Path tmp;

    private Path root;

    @Test
    void installUpgradeRemovePurge() throws Exception {
        Path deb = packageOrSkip();
        root = tmp.resolve("root");
        Path dpkgDir = root.resolve("var/lib/dpkg");
        Files.createDirectories(dpkgDir.resolve("info"));
        Files.createDirectories(dpkgDir.resolve("updates"));
        Files.createFile(dpkgDir.resolve("status"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        Files.writeString(root.resolve("etc/shadow"), "root:*:19000:0:99999:7:::\n");
        Files.writeString(root.resolve("etc/gshadow"), "root:*::\n");

        // pgBackRest is a dependency: spec.backup turns WAL archiving on with it (docs/backup.md)
        assertTrue(List.of(run(List.of("dpkg-deb", "-f", deb.toString(), "Depends")).strip().split(",\\s*"))
                .contains("pgbackrest"), "Depends names pgbackrest");

        // install
        dpkg("-i", deb.toString());
        assertEquals("install ok installed " + version(deb), query("${Status} ${Version}"));
        String[] user = passwdLine("gk8s");
        int uid = Integer.parseInt(user[2]);
        int gid = Integer.parseInt(user[3]);
        assertEquals("/usr/sbin/nologin", user[6]);
        assertMode("rwx------", uid, gid, "var/lib/gk8s");
        assertMode("rwxr-x---", 0, gid, "etc/gk8s");
        assertMode("rw-r-----", 0, gid, "etc/gk8s/agent.properties");
        assertMode("rwxr-xr-x", 0, 0, "usr/lib/gk8s-agent/bin/gk8s-agent");
        assertMode("rwxr-xr-x", 0, 0, "usr/lib/gk8s-agent/runtime/bin/java");
        assertMode("rw-r--r--", 0, 0, "lib/systemd/system/gk8s-agent.service");
        assertTrue(Files.isRegularFile(root.resolve("usr/lib/gk8s-agent/edge-agent.jar")));
        // the node jar, its dependencies inside (NodeJarTest): no lib/ beside it, and not HiveMQ's client and its stack
        assertFalse(Files.exists(root.resolve("usr/lib/gk8s-agent/lib")));
        try (var jar = new java.util.jar.JarFile(root.resolve("usr/lib/gk8s-agent/edge-agent.jar").toFile())) {
            assertTrue(jar.getEntry("org/postgresql/Driver.class") != null, "the PostgreSQL driver is in the jar");
            List<String> replaced = jar.stream().map(e -> e.getName())
                    .filter(n -> n.matches("(com/hivemq|io/netty|io/reactivex|dagger|org/jctools)/.*")).toList();
            assertEquals(List.of(), replaced, "the agent's own MQTT client replaced these");
        }
        assertEquals(root.resolve("usr/lib/gk8s-agent/bin/gk8s-agent").toRealPath(),
                root.resolve("usr/bin/gk8s-agent").toRealPath(), "/usr/bin/gk8s-agent links the launcher");
        assertTrue(query("${Conffiles}").contains("/etc/gk8s/agent.properties"), "agent.properties is a conffile");
        assertTrue(Files.readString(root.resolve("etc/gk8s/agent.properties")).contains("state.dir=/var/lib/gk8s"));

        // the bundled runtime runs the agent, and it is not the JDK: no java.desktop, no javac
        Path java = root.resolve("usr/lib/gk8s-agent/runtime/bin/java");
        Path jar = root.resolve("usr/lib/gk8s-agent/edge-agent.jar");
        String help = run(List.of(java.toString(), "-jar", jar.toString(), "--help"));
        assertTrue(help.startsWith("Usage: edge-agent"), help);
        assertTrue(help.contains("state.dir"), help);
        String modules = run(List.of(java.toString(), "--list-modules"));
        assertTrue(modules.contains("java.base@") && modules.contains("jdk.crypto.ec@"), modules);
        assertFalse(modules.contains("java.desktop") || modules.contains("jdk.compiler"), modules);
        assertFalse(Files.exists(root.resolve("usr/lib/gk8s-agent/runtime/bin/javac")));
        // as the unit's User=gk8s (its uid from the throwaway root): the installed files are readable for it
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        String asAgent = run(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                java.toString(), "-jar", jar.toString(), "--version"));
        assertTrue(asAgent.startsWith("gk8s edge-agent "), asAgent);
        // the launcher, its absolute paths pointed into the throwaway root
        Path launcher = tmp.resolve("gk8s-agent-launcher");
        Files.writeString(launcher, Files.readString(root.resolve("usr/lib/gk8s-agent/bin/gk8s-agent"))
                .replace(":-/usr/lib/gk8s-agent}", ":-" + root.resolve("usr/lib/gk8s-agent") + "}"));
        assertTrue(run(List.of("sh", launcher.toString(), "--version")).startsWith("gk8s edge-agent "));
        // only providers the runtime has: a missing one made the JDK load Bouncy Castle's from lib/ at the first TLS
        // handshake (749 classes, ~1 s); numbered without a gap, or the JDK stops reading the list there
        List<String> providers = Files.readAllLines(root.resolve(
                "usr/lib/gk8s-agent/runtime/conf/security/java.security")).stream()
                .filter(l -> l.startsWith("security.provider.")).toList();
        assertEquals(List.of("security.provider.1=SUN", "security.provider.2=SunRsaSign", "security.provider.3=SunEC",
                "security.provider.4=SunJSSE", "security.provider.5=SunJCE", "security.provider.6=SunJGSS",
                "security.provider.7=JdkLDAP"), providers);
        // the runtime's own CDS archive (jlink --generate-cds-archive) still maps after strip: -Xshare:on fails if not
        assertTrue(run(List.of(java.toString(), "-Xshare:on", "-version")).contains("sharing"));
        // ... and it is the one of the agent's class list (cds-classes.txt), which has the JDK's TLS socket; jlink's
        // default list has not
        assertTrue(run(List.of(java.toString(), "-Xshare:on", "-XX:+UnlockDiagnosticVMOptions",
                "-XX:+PrintSharedArchiveAndExit", "-XX:+PrintSharedDictionary")).contains(
                "sun.security.ssl.SSLSocketImpl boot_loader"), "the base archive is made of cds-classes.txt");
        assertFalse(Files.exists(root.resolve("usr/lib/gk8s-agent/runtime/lib/server/classes_nocoops.jsa")),
                "no archive for heaps over 32 GB");
        // the launcher's AppCDS archive: the first agent run writes it when it exits, the next one maps it
        // (JAVA_TOOL_OPTIONS=-Xshare:on: a JVM that cannot map an archive it is given stops instead of going on)
        Path jsa = tmp.resolve("cds/agent.jsa");
        Files.createDirectories(jsa.getParent());
        Path props = tmp.resolve("cds/agent.properties");
        Files.writeString(props, "site=cds\nnode=a\nbroker.url=tcp://127.0.0.1:9\nbroker.allow-plaintext=true\n"
                + "state.dir=" + tmp.resolve("cds/state") + "\n");
        startAndStop(launcher, props, jsa, false);
        assertTrue(Files.isRegularFile(jsa) && Files.size(jsa) > 1_000_000, "an archive written at exit");
        startAndStop(launcher, props, jsa, true);

        unitVerifies();

        // the node's changes: state, a local setting
        Files.writeString(root.resolve("var/lib/gk8s/journal-seq"), "42\n");
        Path conf = root.resolve("etc/gk8s/agent.properties");
        Files.writeString(conf, Files.readString(conf).replace("site=store-0042", "site=store-7"));

        // the agent had updated itself (docs/upgrades.md): the package's upgrade makes the package's jar start again
        Files.createDirectories(root.resolve("var/lib/gk8s/agent/9.9.9"));
        Files.writeString(root.resolve("var/lib/gk8s/agent/current"), "9.9.9\n");
        Files.writeString(root.resolve("var/lib/gk8s/agent/trial"), "9.9.10\n");

        // upgrade to a second version whose example configuration changed too: the local one stays
        Path deb2 = secondVersion(deb);
        dpkg("--force-confold", "-i", deb2.toString());
        assertFalse(Files.exists(root.resolve("var/lib/gk8s/agent/current")), "the package's jar wins");
        assertFalse(Files.exists(root.resolve("var/lib/gk8s/agent/trial")));
        assertEquals("install ok installed " + version(deb) + "+test2", query("${Status} ${Version}"));
        String kept = Files.readString(conf);
        assertTrue(kept.contains("site=store-7") && !kept.contains("upgraded example"), kept);
        assertTrue(Files.readString(root.resolve("etc/gk8s/agent.properties.dpkg-dist")).contains("upgraded example"));
        assertEquals("42\n", Files.readString(root.resolve("var/lib/gk8s/journal-seq")));
        assertEquals(1, Files.readAllLines(root.resolve("etc/passwd")).stream()
                .filter(l -> l.startsWith("gk8s:")).count(), "the user is made once");
        assertMode("rwx------", uid, gid, "var/lib/gk8s");
        assertMode("rw-r-----", 0, gid, "etc/gk8s/agent.properties");

        // remove: the program goes, configuration and state stay
        dpkg("-r", PKG);
        assertEquals("deinstall ok config-files", query("${Status}"));
        assertFalse(Files.exists(root.resolve("usr/lib/gk8s-agent/edge-agent.jar")));
        assertFalse(Files.exists(root.resolve("lib/systemd/system/gk8s-agent.service")));
        assertTrue(Files.readString(conf).contains("site=store-7"));
        assertEquals("42\n", Files.readString(root.resolve("var/lib/gk8s/journal-seq")));

        // purge: the state goes too
        dpkg("-P", PKG);
        assertFalse(Files.exists(root.resolve("var/lib/gk8s")), "purge deletes the state");
        assertFalse(Files.exists(conf), "purge deletes the configuration");
        assertFalse(Files.exists(root.resolve("etc/gk8s")));
        assertFalse(Files.exists(root.resolve("usr/lib/gk8s-agent")));
    }

    /**
     * The same package as on a real node: installed by dpkg without DPKG_ROOT into a copy-on-write copy of this
     * machine (an overlay of / in a mount namespace of our own, chrooted into), so the real paths, this system's
     * dpkg database (the dependencies are checked, not forced), name service and {@code useradd} are used and this
     * machine is left as it was. Skipped where an overlay of / cannot be mounted (e.g. a container whose / is
     * itself an overlay); the throwaway-root test above is the one {@code GK8S_REQUIRE_DPKG} requires.
     */
    @Test
    void installOnACopyOfThisSystem() throws Exception {
        Path deb = packageOrSkip();
        Path upper = tmp.resolve("upper");
        Path work = tmp.resolve("work");
        Path merged = tmp.resolve("merged");
        Files.createDirectories(upper);
        Files.createDirectories(work);
        Files.createDirectories(merged);
        ProcessBuilder probe = new ProcessBuilder("unshare", "-m", "sh", "-c", "mount --make-rprivate / && mount -t "
                + "overlay overlay -o lowerdir=/,upperdir=" + upper + ",workdir=" + work + " " + merged)
                .redirectErrorStream(true);
        Process p = probe.start();
        String why = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0,
                "skipped: no overlay of / can be mounted here: " + why);

        String inside = String.join("\n",
                "set -e",
                "dpkg -i /mnt/" + deb.getFileName(),
                "echo \"user $(id -u gk8s) $(id -g gk8s) $(getent passwd gk8s | cut -d: -f7)\"",
                "stat -c 'mode %n %a %U %G' /var/lib/gk8s /etc/gk8s /etc/gk8s/agent.properties",
                "echo \"as-gk8s $(runuser -u gk8s -- gk8s-agent --version)\"",
                "if [ -x /usr/bin/systemd-analyze ]; then systemd-analyze verify gk8s-agent.service"
                        + " && echo unit-verified; fi",
                "echo 42 > /var/lib/gk8s/journal-seq",
                "dpkg -r gk8s-agent",
                "echo \"after-remove $(cat /var/lib/gk8s/journal-seq) $(ls /etc/gk8s)\"",
                "dpkg -P gk8s-agent",
                "if [ -e /var/lib/gk8s ] || [ -e /etc/gk8s ]; then echo purge-left-files; fi",
                "echo \"user-after-purge $(id -u gk8s)\"");
        String out = run(List.of("unshare", "-m", "sh", "-c", String.join(" && ",
                "mount --make-rprivate /",
                "mount -t overlay overlay -o lowerdir=/,upperdir=" + upper + ",workdir=" + work + " " + merged,
                "mount -t proc proc " + merged + "/proc",
                "mount --bind /dev " + merged + "/dev",
                "mount --bind " + deb.toAbsolutePath().getParent() + " " + merged + "/mnt",
                "chroot " + merged + " sh -c '" + inside.replace("'", "'\\''") + "'")));
        assertTrue(out.contains("/usr/sbin/nologin"), out);
        assertTrue(out.matches("(?s).*mode /var/lib/gk8s 700 gk8s gk8s\n.*"), out);
        assertTrue(out.matches("(?s).*mode /etc/gk8s 750 root gk8s\n.*"), out);
        assertTrue(out.matches("(?s).*mode /etc/gk8s/agent.properties 640 root gk8s\n.*"), out);
        assertTrue(out.contains("as-gk8s gk8s edge-agent "), out);
        if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
            assertTrue(out.contains("unit-verified"), out);
        }
        assertTrue(out.contains("after-remove 42 agent.properties"), out);
        assertFalse(out.contains("purge-left-files"), out);
        assertTrue(out.matches("(?s).*user-after-purge \\d+.*"), "the system user stays: " + out);
        assertFalse(Files.exists(Path.of("/var/lib/gk8s/journal-seq")), "this machine is left alone");
    }

    private static Path packageOrSkip() throws IOException {
        Path deb = null;
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            try (Stream<Path> s = Files.list(target)) {
                deb = s.filter(p -> p.getFileName().toString().matches("gk8s-agent_.*_amd64\\.deb")).findFirst()
                        .orElse(null);
            }
        }
        boolean dpkg = Files.isExecutable(Path.of("/usr/bin/dpkg")) && Files.isExecutable(Path.of("/usr/bin/dpkg-deb"));
        boolean rootUser = "root".equals(System.getProperty("user.name"));
        String missing = !dpkg ? "dpkg" : !rootUser ? "root" : deb == null ? "target/gk8s-agent_*_amd64.deb (-Pdeb)" : null;
        if (missing != null && "1".equals(System.getenv("GK8S_REQUIRE_DPKG"))) {
            throw new IllegalStateException("the package test needs " + missing + " here (GK8S_REQUIRE_DPKG=1)");
        }
        Assumptions.assumeTrue(missing == null, "skipped: the package test needs " + missing
                + "; .ci/run requires it");
        return deb;
    }

    private static String version(Path deb) throws Exception {
        return run(List.of("dpkg-deb", "-f", deb.toString(), "Version")).strip();
    }

    /** The same package as a higher version, with a changed example configuration. */
    private Path secondVersion(Path deb) throws Exception {
        Path tree = tmp.resolve("v2");
        run(List.of("dpkg-deb", "-R", deb.toString(), tree.toString()));
        Path control = tree.resolve("DEBIAN/control");
        Files.writeString(control, Files.readString(control).replaceFirst("(?m)^Version: (.*)$", "Version: $1+test2"));
        Path conf = tree.resolve("etc/gk8s/agent.properties");
        Files.writeString(conf, Files.readString(conf) + "# upgraded example\n");
        run(List.of("sh", "-c", "cd '" + tree + "' && find . -path ./DEBIAN -prune -o -type f -print | sed s,^./,, "
                + "| sort | xargs md5sum > DEBIAN/md5sums"));
        Path out = tmp.resolve("v2.deb");
        run(List.of("dpkg-deb", "--root-owner-group", "-Zgzip", "-b", tree.toString(), out.toString()));
        return out;
    }

    /** {@code systemd-analyze verify} of the unit, its ExecStart pointed into the throwaway root. */
    private void unitVerifies() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        if (!Files.isExecutable(analyze)) {
            System.out.println("DebPackageTest: no systemd-analyze here, the unit is not verified");
            return;
        }
        Path unit = tmp.resolve("gk8s-agent.service");
        Files.writeString(unit, Files.readString(root.resolve("lib/systemd/system/gk8s-agent.service"))
                .replace("/usr/lib/gk8s-agent/", root.resolve("usr/lib/gk8s-agent") + "/"));
        String out = run(List.of(analyze.toString(), "verify", unit.toString()));
        assertFalse(out.contains("Unknown") || out.contains("ignoring"), out);
    }

    private String[] passwdLine(String name) throws IOException {
        return Files.readAllLines(root.resolve("etc/passwd")).stream().filter(l -> l.startsWith(name + ":"))
                .findFirst().orElseThrow(() -> new AssertionError("no user " + name)).split(":", -1);
    }

    private void assertMode(String mode, int uid, int gid, String path) throws IOException {
        Path p = root.resolve(path);
        assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)),
                path);
        assertEquals(uid, Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS), path + " owner");
        assertEquals(gid, Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS), path + " group");
    }

    private void dpkg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("dpkg", "--root=" + root, "--force-script-chrootless",
                "--force-depends"));
        cmd.addAll(List.of(args));
        run(cmd);
    }

    private String query(String format) throws Exception {
        return run(List.of("dpkg-query", "--admindir=" + root.resolve("var/lib/dpkg"), "-W", "-f=" + format, PKG));
    }

    /** Runs the agent through the launcher until it logs that it starts, then stops it (SIGTERM) and waits. */
    private static void startAndStop(Path launcher, Path props, Path jsa, boolean shareOn) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", launcher.toString(), "--config", props.toString())
                .redirectErrorStream(true);
        pb.environment().put("GK8S_AGENT_CDS", jsa.toString());
        if (shareOn) {
            pb.environment().put("JAVA_TOOL_OPTIONS", "-Xshare:on");
        }
        Process p = pb.start();
        java.util.concurrent.CompletableFuture<String> started = new java.util.concurrent.CompletableFuture<>();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (out) {
                        out.append(line).append('\n');
                    }
                    if (line.contains(" starting: ")) {
                        started.complete(line);
                    }
                }
            } catch (IOException e) {
                started.completeExceptionally(e);
            }
            started.completeExceptionally(new IllegalStateException("exited before starting"));
        });
        reader.start();
        try {
            started.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            synchronized (out) {
                throw new AssertionError("the agent did not start (share " + shareOn + "):\n" + out, e);
            }
        }
        p.destroy();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the agent stops on SIGTERM");
        reader.join(10_000);
    }

    private static String run(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().remove("DPKG_ROOT");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }
}
