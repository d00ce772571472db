#!/usr/bin/env bash
# HA fault-injection harness: a two-node site and the hub in network namespaces, real PostgreSQL 15, real agents,
# a writer through the VIP. Usage (root): ha-harness/run.sh [scenario] [runs]
# scenarios: power-off, isolate-primary (the primary fails: b must take over), standby-power-off, isolate-standby
# (the standby fails: a must go on alone once the hub recorded b lost), hub-down-primary-dies (no witness: no
# failover may happen; writes must stay stopped and nobody may become writable).
# Needs: ./mvnw -DskipTests package, Debian's postgresql-15, iproute2, iputils-arping. Writes
# ha-harness/reports/<scenario>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-power-off}
runs=${2:-3}
net=198.51.100        # TEST-NET-2: exists only inside our namespaces; blackholed in the root namespace
vip=$net.10
work=$(mktemp -d /tmp/gk8s-harness.XXXXXX)
hubdata=$(mktemp -d /tmp/gk8s-harness-hub.XXXXXX) # root's: zonky's initdb runs in a user namespace
chown postgres: "$work"
pids=()
declare -A ip=([a]=$net.11 [b]=$net.12 [h]=$net.2 [c]=$net.3)

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }

killtree() { # SIGKILL a process and all its descendants at once: a power-off
  local all=($1) frontier=($1) next
  while [ ${#frontier[@]} -gt 0 ]; do
    next=()
    for p in "${frontier[@]}"; do next+=($(pgrep -P "$p" || true)); done
    all+=("${next[@]}")
    frontier=("${next[@]}")
  done
  kill -9 "${all[@]}" 2>/dev/null || true
}

cleanup() {
  for p in "${pids[@]}"; do killtree "$p"; done
  pkill -9 -f "$work" 2>/dev/null || true
  pkill -9 -f "$hubdata" 2>/dev/null || true
  for n in a b h c br; do ip netns del gk8s-$n 2>/dev/null || true; done
  ip route del blackhole $net.0/24 2>/dev/null || true
}
trap cleanup EXIT

network() {
  ip route replace blackhole $net.0/24
  ip netns add gk8s-br
  ip -n gk8s-br link add br0 type bridge
  ip -n gk8s-br link set br0 up
  for n in a b h c; do
    ip netns add gk8s-$n
    ip link add v-$n netns gk8s-$n type veth peer name p-$n netns gk8s-br
    ip -n gk8s-br link set p-$n master br0 up
    ip -n gk8s-$n addr add ${ip[$n]}/24 dev v-$n
    ip -n gk8s-$n link set v-$n up
    ip -n gk8s-$n link set lo up
    ip netns exec gk8s-$n sysctl -qw net.ipv4.ip_nonlocal_bind=1
  done
}

in_ns() { local n=$1; shift; ip netns exec gk8s-$n "$@"; }

wait_for() { # description, timeout s, command...
  local what=$1 t=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { log "timeout waiting for $what"; return 1; }
    sleep 0.1
  done
}

start_hub() {
  in_ns h java -Xmx256m -Dgk8s.data-dir="$hubdata" -Dgk8s.embedded.bind=${ip[h]} -Dquarkus.http.host=${ip[h]} \
    -jar hub/target/quarkus-app/quarkus-run.jar >> "$work/hub.log" 2>&1 &
  hub_pid=$!
  pids+=($hub_pid)
  wait_for "hub" 90 in_ns h bash -c "exec 3<>/dev/tcp/${ip[h]}/8080"
}

start_agent() { # node peer role
  local n=$1 p=$2 role=$3
  in_ns "$n" env GK8S_AGENT_SITE="$site" GK8S_AGENT_NODE="$n" GK8S_AGENT_BROKER_URL=tcp://${ip[h]}:1883 \
    GK8S_AGENT_BROKER_ALLOW_PLAINTEXT=true GK8S_AGENT_STATE_DIR="$work/$n-state" GK8S_AGENT_MQTT_KEEPALIVE_S=5 \
    GK8S_AGENT_HA_ENABLED=true GK8S_AGENT_HA_PEER_NODE="$p" GK8S_AGENT_HA_INITIAL_ROLE="$role" \
    GK8S_AGENT_HA_LISTEN=${ip[$n]}:7946 GK8S_AGENT_HA_PEER_ADDRESS=${ip[$p]}:7946 \
    GK8S_AGENT_PG_DATA="$work/$n-pg" GK8S_AGENT_PG_HOST=${ip[$n]} GK8S_AGENT_PG_LISTEN=${ip[$n]},$vip \
    GK8S_AGENT_PG_PEER_HOST=${ip[$p]} GK8S_AGENT_PG_TRUSTED_NETWORK=$net.0/24 GK8S_AGENT_VIP_ADDRESS=$vip/24 GK8S_AGENT_VIP_DEVICE=v-$n \
    GK8S_AGENT_K3S_UNIT=none \
    java -Xmx64m -XX:+UseSerialGC -jar edge-agent/target/edge-agent.jar > "$work/$n.log" 2>&1 &
  pids+=($!)
  agent_pid[$n]=$!
  wait_for "agent $n as $role" 120 grep -q "HA $site/$n:" "$work/$n.log"
}

writable() { # node -> prints t/f
  in_ns "$1" /usr/lib/postgresql/15/bin/psql -h ${ip[$1]} -U postgres -d postgres -tAqc \
    "SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off'" 2>/dev/null || echo down
}

declare -A agent_pid
results=()
violations=0
network
start_hub
log "hub up"
for run in $(seq 1 "$runs"); do
  rm -rf "$work"/{a,b}-pg "$work"/{a,b}-state 2>/dev/null || true
  site=harness-$run
  start_agent a b primary
  start_agent b a standby
  wait_for "synchronous replication" 60 bash -c "in_ns() { ip netns exec gk8s-\$1 \"\${@:2}\"; }; in_ns a /usr/lib/postgresql/15/bin/psql -h ${ip[a]} -U postgres -tAqc \"SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'\" | grep -q 1"
  in_ns c java -cp "$(ls edge-agent/target/lib/postgresql-*.jar)" ha-harness/Writer.java \
    "jdbc:postgresql://$vip:5432/postgres" 40 > "$work/writer-$run.log" 2>&1 &
  writer=$!
  pids+=($writer)
  wait_for "writes through the VIP" 30 grep -q "^ok " "$work/writer-$run.log"
  sleep 3
  fault_ms=$(date +%s%3N)
  expect_resume=1
  case "$scenario" in
    power-off) killtree "${agent_pid[a]}"; ip -n gk8s-a link set v-a down; survivor=b ;; # processes and link at once
    isolate-primary) ip -n gk8s-br link set p-a down; survivor=b ;;
    standby-power-off) killtree "${agent_pid[b]}"; ip -n gk8s-b link set v-b down; survivor=a ;;
    isolate-standby) ip -n gk8s-br link set p-b down; survivor=a ;;
    hub-down-primary-dies) killtree "$hub_pid"; sleep 1; killtree "${agent_pid[a]}"; ip -n gk8s-a link set v-a down
      survivor=b; expect_resume=0 ;;
    *) log "unknown scenario $scenario"; exit 2 ;;
  esac
  log "run $run: fault $scenario injected"
  both=0
  for i in $(seq 1 150); do # 15 s of invariant samples
    wa=$(writable a); wb=$(writable b)
    [ "$wa" = t ] && [ "$wb" = t ] && both=$((both + 1))
    sleep 0.1
  done
  wait "$writer" || true
  # the outage: the longest gap between acknowledged writes from the fault on (empty: writes never resumed)
  outage=$(awk -v f="$fault_ms" '$1 == "ok" && $3 <= f { prev = $3 }
    $1 == "ok" && $3 > f { if (!prev) prev = f; if ($3 - prev > max) max = $3 - prev; prev = $3; seen = 1 }
    END { if (seen) print max }' "$work/writer-$run.log")
  acked=$(awk '$1 == "ok" { n++ } END { print n }' "$work/writer-$run.log")
  on_survivor=$(in_ns $survivor /usr/lib/postgresql/15/bin/psql -h ${ip[$survivor]} -U postgres -tAqc \
    "SELECT count(*) FROM harness_writes")
  if [ "$expect_resume" = 0 ]; then # no write may succeed after the primary died (fault + 1 s, +0.5 s in flight)
    late=$(awk -v f=$((fault_ms + 1500)) '$1 == "ok" && $3 > f { n++ } END { print n + 0 }' "$work/writer-$run.log")
    outage=$([ "$late" = 0 ] && echo "none, as expected" || echo "")
  fi
  log "run $run: longest write gap ${outage:-none} ms; acked $acked, on $survivor $on_survivor; two writers: $both"
  results+=("| $run | ${outage:-never resumed} | $acked | $on_survivor ($survivor) | $both |")
  if [ -z "$outage" ] || [ "$both" -gt 0 ] || [ "${on_survivor:-0}" -lt "${acked:-0}" ]; then
    violations=$((violations + 1))
    log "run $run: VIOLATION (no recovery, two writers, or acknowledged writes missing)"
  fi
  for n in a b; do killtree "${agent_pid[$n]}"; done
  pkill -9 -f "$work/a-pg" 2>/dev/null || true; pkill -9 -f "$work/b-pg" 2>/dev/null || true
  for n in a b; do ip -n gk8s-br link set p-$n up; ip -n gk8s-$n link set v-$n up; done
  kill -0 "$hub_pid" 2>/dev/null || start_hub
  cp "$work"/{a,b}.log "$work/hub.log" /tmp/ 2>/dev/null || true
done

mkdir -p ha-harness/reports
{
  echo "# HA harness: $scenario ($(date -u +%FT%TZ), $(nproc) cores)"
  echo
  echo "Command: \`ha-harness/run.sh $scenario $runs\`. Lease 3 s, margin 1.5 s (defaults)."
  echo
  echo "Invariants per run: writes resume through the VIP, every acknowledged write is on the survivor, and no"
  echo "sample (every ~0.1 s for 15 s after the fault) finds both PostgreSQL servers writable."
  echo
  echo "| run | longest gap between acknowledged writes after the fault (ms) | writes acknowledged | rows on the survivor | samples with two writable nodes |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${results[@]}"
} > "ha-harness/reports/$scenario.md"
cat "ha-harness/reports/$scenario.md"
[ "$violations" -eq 0 ] || { log "$violations run(s) violated an invariant"; exit 1; }
