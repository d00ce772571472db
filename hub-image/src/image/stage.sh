#!/bin/sh
# Stages the hub image's root file system (profile `image` of hub-image/pom.xml), which HubImage then packs:
#   stage.sh JAVA_HOME TARGET_DIR QUARKUS_APP_DIR
# - /opt/java: a jlink runtime of java.se plus the modules found only through ServiceLoader or reflection
#   (jdk.crypto.ec: EC keys and TLS for the fleet PKI; jdk.unsupported: Netty; jdk.zipfs, jdk.naming.dns,
#   jdk.management). Not the modules jdeps finds: it cannot read the Quarkus app's modular jars.
# - the shared libraries that runtime needs, copied from this build machine (Debian 12's glibc and zlib), found with
#   ldd: the image has no distribution under it, only what the JVM links.
# - /app: the Quarkus fast-jar; /etc: passwd and group with the user gk8s (10001), hosts, nsswitch.conf.
set -eu
java_home=$1
target=$2
app=$3
root=$target/rootfs
if [ ! -d "$java_home/jmods" ]; then
  echo "stage.sh: $java_home/jmods is missing; a JDK with jmods is needed (Debian: openjdk-17-jdk-headless)" >&2
  exit 1
fi
if [ ! -f "$app/quarkus-run.jar" ]; then
  echo "stage.sh: $app/quarkus-run.jar is missing: build the hub first (./mvnw -Pimage -pl hub-image -am package)" >&2
  exit 1
fi
rm -rf "$root"
mkdir -p "$root/opt" "$root/etc" "$root/app"
"$java_home/bin/jlink" --module-path "$java_home/jmods" \
  --add-modules java.se,jdk.unsupported,jdk.crypto.ec,jdk.zipfs,jdk.naming.dns,jdk.management \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$root/opt/java"
if command -v strip >/dev/null; then
  find "$root/opt/java/bin" "$root/opt/java/lib" -type f \( -name '*.so' -o -perm -u+x \) \
    -exec strip --strip-unneeded {} +
fi
# a cacerts that is a symlink into /etc/ssl (Debian's JDK) becomes the file itself
if [ -L "$root/opt/java/lib/security/cacerts" ]; then
  cp --remove-destination "$(readlink -f "$root/opt/java/lib/security/cacerts")" "$root/opt/java/lib/security/cacerts"
fi
find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} \; 2>/dev/null \
  | grep -o '/[^ ]*' | grep -v "^$root" | sort -u | while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
cp -r "$app"/. "$root/app/"
printf 'root:x:0:0:root:/root:/sbin/nologin\ngk8s:x:10001:10001:gk8s hub:/var/lib/gk8s:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\ngk8s:x:10001:\n' > "$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
echo "stage.sh: $(du -sh "$root" | cut -f1) staged in $root"
