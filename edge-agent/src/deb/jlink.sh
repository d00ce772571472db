#!/bin/sh
# Makes the agent's own Java runtime for the .deb (profile `deb` of edge-agent/pom.xml):
#   jlink.sh JAVA_HOME TARGET_DIR
# The modules are what jdeps finds in the agent's jar and its lib/, plus jdk.crypto.ec: the SunEC provider (EC keys
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
  --class-path "$target/lib/*" "$target/edge-agent.jar" "$target"/lib/*.jar 2>/dev/null | tail -1)
modules=$(echo "$modules,jdk.crypto.ec" | tr , '\n' | grep -vx java.desktop | paste -sd, -)
echo "jlink.sh: modules $modules"
rm -rf "$target/deb/runtime"
mkdir -p "$target/deb"
"$java_home/bin/jlink" --module-path "$jmods" --add-modules "$modules" \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$target/deb/runtime"
# Debian's JDK keeps the symbol tables of its native code (4 MB of libjvm.so alone); the dynamic symbols stay, so the
# runtime works the same, only a crash report names fewer functions. Skipped where binutils' strip is missing.
if command -v strip >/dev/null; then
  find "$target/deb/runtime/bin" "$target/deb/runtime/lib" -type f \( -name '*.so' -o -perm -u+x \) \
    -exec strip --strip-unneeded {} +
fi
echo "$modules" > "$target/deb/runtime-modules"
