#!/bin/bash
# The RSS floor of a JVM agent on this machine (load-tests/reports/agent-footprint-findings.md, "The floor"):
# Floor.java publishes a 100-byte record to a broker every 30 s over plain MQTT or mTLS, with or without Jackson,
# and nothing else. Four variants at once, each with its own AppCDS archive and the package's JVM flags; VmRSS
# after 100 s. Needs openssl, Debian's mosquitto, a JDK 17 and the Jackson jars in ~/.m2 (./mvnw package did that).
#   bash load-tests/floor/floor.sh [JAVA]
set -euo pipefail
java=${1:-java}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/gk8s-floor.XXXXXX)
chmod 755 "$work" # mosquitto drops to its own user and reads the certificates here
cd "$work"
m2=~/.m2/repository/com/fasterxml/jackson/core
jackson=$(ls $m2/jackson-databind/2.21.2/jackson-databind-2.21.2.jar $m2/jackson-core/2.21.2/jackson-core-2.21.2.jar \
  $m2/jackson-annotations/2.21/jackson-annotations-2.21.jar | paste -sd:)
key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=floor-ca 2>/dev/null
key srv localhost; printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" > san.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile san.ext 2>/dev/null
key cli n1; openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 2 2>/dev/null
openssl pkcs12 -export -in cli.pem -inkey cli.key -out cli.p12 -passout pass:x -name node
keytool -importcert -noprompt -alias ca -file ca.pem -keystore trust.p12 -storetype PKCS12 -storepass xxxxxx >/dev/null
chmod 644 ./*.key
tls_port=$((20000 + RANDOM % 20000)); plain_port=$((tls_port + 1))
cat > mosq.conf <<CONF
per_listener_settings false
allow_anonymous true
listener $tls_port 127.0.0.1
cafile $work/ca.pem
certfile $work/srv.pem
keyfile $work/srv.key
require_certificate true
listener $plain_port 127.0.0.1
CONF
/usr/sbin/mosquitto -c mosq.conf > mosquitto.log 2>&1 & broker=$!
trap 'kill $broker 2>/dev/null; kill ${pids[@]:-} 2>/dev/null || true' EXIT
mkdir classes && javac -d classes -cp "$jackson" "$here/Floor.java" && jar cf floor.jar -C classes . # CDS: jars only
flags="-XX:+UseSerialGC -Xmx32m -Xms4m -Xmn1m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -Xss256k
 -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=64m
 -XX:TrimNativeHeapInterval=5000 -XX:-UsePerfData -XX:StringTableSize=4096"
cp="$jackson:floor.jar"
variants=("tls json" "tls nojson" "plain json" "plain nojson")
sleep 0.5
for i in 0 1 2 3; do # each variant's own archive, written when a 5 s run ends
  set -- ${variants[$i]}
  MALLOC_ARENA_MAX=1 "$java" $flags -XX:ArchiveClassesAtExit="$work/v$i.jsa" -Dfloor.dir="$work" \
    -Dfloor.tls="$tls_port" -Dfloor.plain="$plain_port" -cp "$cp" Floor "$1" "$2" "archive$i" > "archive$i.log" 2>&1 &
  p=$!; sleep 5; kill -TERM $p; wait $p || true
done
pids=()
for i in 0 1 2 3; do
  set -- ${variants[$i]}
  MALLOC_ARENA_MAX=1 "$java" $flags -XX:SharedArchiveFile="$work/v$i.jsa" -Dfloor.dir="$work" \
    -Dfloor.tls="$tls_port" -Dfloor.plain="$plain_port" -cp "$cp" Floor "$1" "$2" "run$i" > "run$i.log" 2>&1 &
  pids+=($!)
done
sleep 100
for i in 0 1 2 3; do
  echo "${variants[$i]}: $(grep VmRSS /proc/${pids[$i]}/status | awk '{print $2}') kB RSS, archive $(stat -c %s v$i.jsa) bytes"
done
