#!/bin/sh
# Makes the agent's own Java runtime for the .deb (profile `deb` of edge-agent/pom.xml):
#   jlink.sh JAVA_HOME TARGET_DIR
# The modules are what jdeps finds in the node jar (the agent and its dependencies), plus jdk.crypto.ec: the SunEC provider (EC keys
# and TLS with EC certificates: the fleet PKI, enrollment) is found through ServiceLoader, which jdeps cannot see.
# Minus java.desktop: its one user is the PostgreSQL driver's org.postgresql.geometric.PGpoint (a method taking a
# java.awt.Point), a type the agent never reads; java.desktop is ~11 MB and links X11, ALSA and freetype.
set -eu
java_home=$1
target=$2
jmods=$java_home/jmods
if [ ! -d "$jmods" ]; then
  echo "jlink.sh: $jmods is missing; a JDK with jmods is needed (Debian: openjdk-17-jdk-headless has them);" \
    "choose it with -Ddeb.jdk=DIR" >&2
  exit 1
fi
modules=$("$java_home/bin/jdeps" --multi-release 17 --ignore-missing-deps --print-module-deps \
  "$target/node/edge-agent.jar" 2>/dev/null | tail -1)
modules=$(echo "$modules,jdk.crypto.ec" | tr , '\n' | grep -vx java.desktop | paste -sd, -)
echo "jlink.sh: modules $modules"
rm -rf "$target/deb/runtime"
mkdir -p "$target/deb"
"$java_home/bin/jlink" --module-path "$jmods" --add-modules "$modules" \
  --strip-debug --no-man-pages --no-header-files --compress=2 --generate-cds-archive --output "$target/deb/runtime"
# --generate-cds-archive: the runtime's own CDS archive of the JDK's classes (lib/server/classes.jsa, 11.7 MB of
# jlink's default list; made again below from the agent's), which a jlink image lacks otherwise: faster starts, and
# the base on which the launcher's AppCDS archive of the agent's own classes is written (-XX:ArchiveClassesAtExit
# needs one). Stripping libjvm.so below leaves it valid (checked by DebPackageTest with -Xshare:on).
# The JDK's provider list names providers of modules the runtime leaves out (SunSASL, XMLDSig, SunPCSC, JdkSASL,
# SunPKCS11). For each missing one the JDK searches every java.security.Provider on the class path instead, finds
# Bouncy Castle's (then in lib/bcprov, there for enrollment) and loads it: 749 classes at the first TLS handshake, from a
# signed jar that CDS cannot archive; start -> connected took ~1 s more than with Debian's JDK. The list keeps the
# providers whose module is in the runtime, numbered without gaps (the JDK stops reading at the first gap).
sec="$target/deb/runtime/conf/security/java.security"
awk -v modules=",$modules," '
  /^security\.provider\.[0-9]+=/ {
    name = substr($0, index($0, "=") + 1); split(name, w, " ")
    m = (w[1] == "SUN" || w[1] == "SunRsaSign" || w[1] == "SunJSSE" || w[1] == "SunJCE") ? "java.base" \
      : w[1] == "SunEC" ? "jdk.crypto.ec" : w[1] == "SunJGSS" ? "java.security.jgss" \
      : w[1] == "SunSASL" ? "java.security.sasl" : w[1] == "XMLDSig" ? "java.xml.crypto" \
      : w[1] == "SunPCSC" ? "java.smartcardio" : w[1] == "JdkLDAP" ? "java.naming" \
      : w[1] == "JdkSASL" ? "jdk.security.jgss" : w[1] == "SunPKCS11" ? "jdk.crypto.cryptoki" : ""
    if (m != "" && index(modules, "," m ",") == 0) next
    print "security.provider." (++n) "=" name; next
  }
  { print }' "$sec" > "$sec.new"
mv "$sec.new" "$sec"
# The base archive again, of the JDK classes the agent loads (cds-classes.txt, made by a run of the agent) instead
# of jlink's default list, most of which the agent never loads while the whole archive is resident (mapped at a
# random address and relocated): ~0.8 MB less RSS (load-tests/reports/agent-footprint-findings.md). What the list
# lacks goes into the launcher's AppCDS archive as before. Dumped with the agent's collector: with SerialGC the JVM
# ignores an archive's Java heap objects (G1 only in Java 17), so none are written (17 MB instead of 19).
jsa="$target/deb/runtime/lib/server/classes.jsa"
chmod u+w "$jsa"
if ! "$target/deb/runtime/bin/java" -XX:+UseSerialGC -Xshare:dump \
    -XX:SharedClassListFile="$(dirname "$0")/cds-classes.txt" -XX:SharedArchiveFile="$jsa" \
    > "$target/deb/cds-dump.log" 2>&1; then
  cat "$target/deb/cds-dump.log" >&2
  exit 1
fi
chmod a-w "$jsa"
# a JDK update that renamed or dropped classes of the list shrinks the archive without failing: say so
missing=$(grep -c "Preload Warning" "$target/deb/cds-dump.log" || true)
if [ "$missing" -gt 0 ]; then
  echo "jlink.sh: $missing classes of cds-classes.txt are not in this JDK (see $target/deb/cds-dump.log);" \
    "make the list again (load-tests/reports/agent-footprint-findings.md)" >&2
fi
# classes_nocoops.jsa is for heaps over 32 GB only (11 MB): not the agent's.
rm -f "$target/deb/runtime/lib/server/classes_nocoops.jsa"
# Debian's JDK keeps the symbol tables of its native code (4 MB of libjvm.so alone); the dynamic symbols stay, so the
# runtime works the same, only a crash report names fewer functions. Skipped where binutils' strip is missing.
if command -v strip >/dev/null; then
  find "$target/deb/runtime/bin" "$target/deb/runtime/lib" -type f \( -name '*.so' -o -perm -u+x \) \
    -exec strip --strip-unneeded {} +
fi
echo "$modules" > "$target/deb/runtime-modules"
