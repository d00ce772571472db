# The HA harness's shared part, sourced by run.sh and backup.sh after `set -eEuo pipefail`, with $scenario set (and
# $report, the report's name, when it differs from the scenario's): the namespaces, the hub, the agents, the probers
# and the VIP sampling, the cleanup that turns an aborted scenario into a violation. docs/ha.md describes the harness.
net=198.51.100        # TEST-NET-2: exists only inside our namespaces; blackholed in the root namespace
vip=$net.10
work=$(mktemp -d /tmp/gk8s-harness.XXXXXX)
hubdata=$(mktemp -d /tmp/gk8s-harness-hub.XXXXXX) # root's: zonky's initdb runs in a user namespace
chown postgres: "$work"
pids=()
declare -A ip=([a]=$net.11 [b]=$net.12 [h]=$net.2 [c]=$net.3)
declare -A agent_pid prober ran conf
psql=/usr/lib/postgresql/15/bin/psql
source ha-harness/kine.sh

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }
now_ms() { date +%s%3N; }

descendants() { # a process and all its descendants
  local frontier=($1) next
  echo "$1"
  while [ ${#frontier[@]} -gt 0 ]; do
    next=()
    for p in "${frontier[@]}"; do next+=($(pgrep -P "$p" || true)); done
    [ ${#next[@]} -eq 0 ] || printf '%s\n' "${next[@]}"
    frontier=("${next[@]}")
  done
}

killtree() { kill -9 $(descendants "$1") 2>/dev/null || true; } # SIGKILL a tree at once: a power-off

drop_network() { # every namespace and route of the harness, also ones a crashed earlier run left behind
  for n in a b h c br; do ip netns del gk8s-$n 2>/dev/null || true; done
  ip route del blackhole $net.0/24 2>/dev/null || true
}

finished=0 aborted_line=""
trap 'aborted_line=${aborted_line:-$LINENO}' ERR
cleanup() {
  local status=$?
  [ "$finished" = 1 ] || { mkdir -p /tmp/gk8s-harness-aborted; cp "$work"/*.log /tmp/gk8s-harness-aborted/ 2>/dev/null || true
    for n in a b; do cp "$work/$n-state/k3s.log" "/tmp/gk8s-harness-aborted/$n-k3s.log" 2>/dev/null || true; done; }
  for p in "${pids[@]}"; do killtree "$p"; done
  pkill -9 -f "$work" 2>/dev/null || true
  pkill -9 -f "$hubdata" 2>/dev/null || true
  drop_network
  rm -rf "$work" "$hubdata" # the hub's data alone is ~1.7 GB (embedded PostgreSQL and broker)
  if [ "$finished" = 0 ]; then # an aborted scenario is a violation, never a silent pass
    log "ABORTED (line ${aborted_line:-?}, status $status): counted as a violation"
    if [ -n "${tsv:-}" ]; then
      printf '%s\t\t\t\t\t\t\tVIOLATION: aborted at line %s\n' "${run:-0}" "${aborted_line:-?}" >> "$tsv"
      printf '# HA harness: %s — ABORTED at line %s (status %s): a violation\n' "${report:-$scenario}" \
        "${aborted_line:-?}" "$status" > "ha-harness/reports/${report:-$scenario}.md"
    fi
    exit 1
  fi
}
trap cleanup EXIT

network() { # the bridge and the hub's namespace, once per scenario
  drop_network
  ip route replace blackhole $net.0/24
  ip netns add gk8s-br
  ip -n gk8s-br link add br0 type bridge
  ip -n gk8s-br link set br0 up
  attach h
  # partitions between two nodes: drop bridged frames between their ports (stack.md: no netem here)
  ip netns exec gk8s-br nft add table bridge cut
  ip netns exec gk8s-br nft add chain bridge cut forward '{ type filter hook forward priority 0; }'
}

fresh_nodes() { # the site's namespaces, new for every run: no address, VIP or rule survives from the run before
  # a deleted namespace is freed (and its veth with it) asynchronously: the bridge's end of the veth goes first, or
  # the next run's p-<node> finds it still there ("RTNETLINK answers: File exists")
  for n in a b c; do ip -n gk8s-br link del p-$n 2>/dev/null || true; ip netns del gk8s-$n 2>/dev/null || true; done
  for n in a b c; do attach $n; done
  heal
}

attach() { # a namespace on the bridge
  local n=$1
  {
    ip netns add gk8s-$n
    ip link add v-$n netns gk8s-$n type veth peer name p-$n netns gk8s-br
    ip -n gk8s-br link set p-$n master br0 up
    ip -n gk8s-$n addr add ${ip[$n]}/24 dev v-$n
    ip -n gk8s-$n link set v-$n up
    ip -n gk8s-$n link set lo up
    ip netns exec gk8s-$n sysctl -qw net.ipv4.ip_nonlocal_bind=1
  }
}

partition() { # x y: no frame passes between x and y, both ways
  ip netns exec gk8s-br nft add rule bridge cut forward iifname p-$1 oifname p-$2 drop
  ip netns exec gk8s-br nft add rule bridge cut forward iifname p-$2 oifname p-$1 drop
}
heal() { ip netns exec gk8s-br nft flush chain bridge cut forward; }

in_ns() { local n=$1; shift; ip netns exec gk8s-$n "$@"; }

wait_for() { # description, timeout s, command...
  local what=$1 t=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { log "timeout waiting for $what"; return 1; }
    sleep 0.1
  done
}

launch_hub() {
  in_ns h java -Xmx256m -Dgk8s.data-dir="$hubdata" -Dgk8s.embedded.bind=${ip[h]} -Dquarkus.http.host=${ip[h]} \
    -jar hub/target/quarkus-app/quarkus-run.jar >> "$work/hub.log" 2>&1 &
  hub_pid=$!
  pids+=($hub_pid)
}
hub_up() { in_ns h bash -c "exec 3<>/dev/tcp/${ip[h]}/8080"; }
start_hub() { launch_hub; wait_for "hub" 90 hub_up; }

launch_agent() { # node peer role
  local n=$1 p=$2 role=$3
  cat > "$work/$n.env" <<ENV
GK8S_AGENT_SITE=$site
GK8S_AGENT_NODE=$n
GK8S_AGENT_BROKER_URL=tcp://${ip[h]}:1883
GK8S_AGENT_BROKER_ALLOW_PLAINTEXT=true
GK8S_AGENT_STATE_DIR=$work/$n-state
GK8S_AGENT_MQTT_KEEPALIVE_S=5
GK8S_AGENT_HA_ENABLED=true
GK8S_AGENT_HA_PEER_NODE=$p
GK8S_AGENT_HA_INITIAL_ROLE=$role
GK8S_AGENT_HA_LISTEN=${ip[$n]}:7946
GK8S_AGENT_HA_PEER_ADDRESS=${ip[$p]}:7946
GK8S_AGENT_HA_PEER_KEY_FILE=$work/$site.peer-key
GK8S_AGENT_PG_DATA=$work/$n-pg
GK8S_AGENT_PG_HOST=${ip[$n]}
GK8S_AGENT_PG_LISTEN=${ip[$n]},$vip
GK8S_AGENT_PG_PEER_HOST=${ip[$p]}
GK8S_AGENT_PG_SECRET_FILE=$work/$site.pg-secret
GK8S_AGENT_PG_CLIENT_NETWORK=$net.0/24
GK8S_AGENT_VIP_ADDRESS=$vip/24
GK8S_AGENT_VIP_DEVICE=v-$n
GK8S_AGENT_K3S_COMMAND=$work/$n-k3s.sh
ENV
  if [ "${upgrading:-0}" = 1 ]; then # the K3s binary an upgrade replaces (a stand-in), the fleet's signing key
    mkdir -p "$work/$n-bin"; [ -f "$work/$n-bin/k3s" ] || install -m 755 ha-harness/k3s-binary-standin.sh "$work/$n-bin/k3s"
    cat >> "$work/$n.env" <<ENV
GK8S_AGENT_K3S_BINARY=$work/$n-bin/k3s
GK8S_AGENT_ARTIFACTS_SIGNING_KEY_FILE=$work/signing.pub
GK8S_AGENT_LABELS=site-kind=$site,size=standard
GK8S_AGENT_VIP_CHECK_PORT=5432
GK8S_AGENT_UPGRADE_VERIFY_TIMEOUT_S=20
GK8S_AGENT_HEALTH_INTERVAL_S=2
ENV
  fi
  # an agent lease far longer than the hub's (3 s): the agent must run on the hub's, or it writes after b's promotion
  [ "$scenario" != lease-mismatch ] || echo GK8S_AGENT_HA_LEASE_MS=10000 >> "$work/$n.env"
  # a scenario's own settings (backup.sh: the labels that bind its template, pgBackRest's socket folder)
  ! declare -F agent_env_extra >/dev/null || agent_env_extra "$n" >> "$work/$n.env"
  printf '#!/bin/sh\nPGPASSWORD=%s KINE_USER=kine exec java -Xmx24m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp %s %s jdbc:postgresql://%s:5432/kine %s\n' \
    "$kinepw" "$(ls "$PWD"/edge-agent/target/lib/postgresql-*.jar)" "$PWD/ha-harness/KineStandIn.java" "$vip" "$n" \
    > "$work/$n-k3s.sh"
  chmod 700 "$work/$n-k3s.sh"
  if [ "${agentup:-0}" = 1 ]; then # the package's launcher, started again whenever it ends, as systemd's Restart=always
    in_ns "$n" env $(cat "$work/$n.env") GK8S_AGENT_HOME="$work/agent-home" GK8S_AGENT_CDS=none \
      GK8S_AGENT_JAVA_OPTS="-Xmx64m -XX:+UseSerialGC" sh -c 'while :; do sh edge-agent/src/deb/gk8s-agent
        echo "harness: the agent exited with $?: started again in 1 s"; sleep 1; done' >> "$work/$n.log" 2>&1 &
  else
    # a scenario's mounts in the agent's own mount namespace (ip netns exec unshares it and makes / rslave: a mount
    # made there is seen by the agent and its children only, never in the root namespace or by the other node), made
    # before the agent is exec'ed in the same process (backup.sh backup-peer: each node's own peer repository folder)
    local mounts=true
    ! declare -F agent_mounts >/dev/null || mounts=$(agent_mounts "$n")
    in_ns "$n" sh -c "$mounts && exec \"\$@\"" "gk8s-agent-$n" env $(cat "$work/$n.env") java -Xmx64m -XX:+UseSerialGC \
      -jar edge-agent/target/node/edge-agent.jar >> "$work/$n.log" 2>&1 &
  fi
  pids+=($!)
  agent_pid[$n]=$!
}
start_agent() { launch_agent "$@"; wait_for "agent $1 as $3" 120 grep -q "HA $site/$1:" "$work/$1.log"; }

java_of() { for p in $(descendants "$1"); do grep -qa edge-agent.jar /proc/$p/cmdline 2>/dev/null && echo $p; done; true; }
postgres_of() { pgrep -f -- "-D $work/$1-pg" || true; }

qk() { # node sql -> what the query on Kine's database returns, or "down"
  in_ns "$1" env PGPASSWORD="$pgpw" timeout 2 $psql -h ${ip[$1]} -U postgres -d kine -tAqc "$2" 2>/dev/null || echo down
}
q() { # node sql -> one value, or "down"
  in_ns "$1" env PGPASSWORD="$pgpw" timeout 2 $psql -h ${ip[$1]} -U postgres -d postgres -tAqc "$2" 2>/dev/null || echo down
}
writable() { # t when a client that overrides every setting commits on the node's own PostgreSQL
  in_ns "$1" env PGCONNECT_TIMEOUT=1 PGPASSWORD="$pgpw" timeout 2 $psql -h ${ip[$1]} -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt \
    -c "SET statement_timeout = 500" -c "SET default_transaction_read_only = off" -c "SET synchronous_commit = local" \
    -c "BEGIN READ WRITE" -c "CREATE TABLE IF NOT EXISTS harness_probe (node text, at bigint)" \
    -c "INSERT INTO harness_probe VALUES ('end', 0)" -c "COMMIT" >/dev/null 2>&1 && echo t || echo f
}
start_probers() { # run: one Prober per node, in its namespace, against its own address, every 50 ms
  for n in a b; do
    in_ns $n env PGPASSWORD="$pgpw" java -Xmx24m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -cp "$(ls edge-agent/target/lib/postgresql-*.jar)" ha-harness/Prober.java "jdbc:postgresql://${ip[$n]}:5432/postgres" $n "${probe_seconds:-60}" 50 > "$work/probe-$n-$1.log" \
      2> "$work/probe-$n-$1.err" &
    pids+=($!)
    prober[$n]=$!
  done
}
# an address on an interface that is down (a powered-off node, a pulled cable) answers no ARP: not an owner
owns_vip() { ip -n gk8s-$1 link show dev v-$1 2>/dev/null | grep -q "state UP" \
  && ip -n gk8s-$1 -o addr show dev v-$1 2>/dev/null | grep -q " $vip/" && echo t || echo f; }
api() { in_ns c curl -s --max-time 3 -H "Authorization: Bearer $(cat "$hubdata/api-token")" "http://${ip[h]}:8080$1"; }
api_post() { # path content-type file -> the answer; fails on an HTTP error
  in_ns c curl -sf --max-time 10 -H "Authorization: Bearer $(cat "$hubdata/api-token")" -H "Content-Type: $2" \
    --data-binary "@$3" "http://${ip[h]}:8080$1"; }
epoch() { api /api/v1/sites/$site/witness | grep -o '"epoch":[0-9]*' \
  | head -1 | cut -d: -f2; }

# a prober's sample line: <start ms> <answer ms> w|- ... (anything else in its log is not a sample)
sample='$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && ($3 == "w" || $3 == "-")'
probe_stats() { # node log -> samples, mean and max interval between sample starts, writable samples
  awk -v n="$1" "$sample"' { c++; if (p) { g = $1 - p; s += g; if (g > m) m = g } p = $1; if ($3 == "w") w++ }
    END { printf "%s %d samples every %.0f ms (max gap %.0f), %d writable", n, c, (c > 1 ? s / (c - 1) : 0), m, w }' "$2"
}
probe_overlap() { # log of a, log of b -> samples with two writers: commits acknowledged on the first writer after
  # the second writer's first, plus the second writer's acknowledged before the first writer's last
  awk "$sample"' && $3 == "w" { f = FILENAME == ARGV[1] ? 1 : 2; t[f, ++n[f]] = $2
      if (!(f in first) || $2 < first[f]) first[f] = $2; if ($2 > last[f]) last[f] = $2 }
    END { c = 0
      if (n[1] && n[2]) { o = first[1] <= first[2] ? 1 : 2; w = 3 - o
        for (i = 1; i <= n[o]; i++) if (t[o, i] >= first[w]) c++
        for (i = 1; i <= n[w]; i++) if (t[w, i] <= last[o]) c++ }
      print c }' "$1" "$2"
}
is_sync() { [ "$(q "$1" "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$2' AND sync_state = 'sync'")" = 1 ]; }


new_site() { # site: its peer-link key and database secret, fresh (enrollment hands them out in production)
  site=$1
  # the site's peer-link key, fresh per run, shared by both agents (enrollment hands it out in production)
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/$site.peer-key")
  # and the site's database secret: every connection to PostgreSQL proves a SCRAM password derived from it
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/$site.pg-secret")
  pgpw=$(printf %s postgres | openssl dgst -sha256 -hmac "$(cat "$work/$site.pg-secret")" | awk '{print $NF}')
  # Kine's own role (and database), as the agents create it: the stand-in logs in as K3s would, not as the superuser
  kinepw=$(printf %s kine | openssl dgst -sha256 -hmac "$(cat "$work/$site.pg-secret")" | awk '{print $NF}')
}

end_run() { # the run's agents and servers gone, the links healed, its logs kept under /tmp/gk8s-harness-logs
  for n in a b; do killtree "${agent_pid[$n]}"; done
  pkill -9 -f "$work/a-pg" 2>/dev/null || true; pkill -9 -f "$work/b-pg" 2>/dev/null || true
  heal
  for n in a b; do ip -n gk8s-br link set p-$n up; ip -n gk8s-$n link set v-$n up; done
  cp "$work"/{a,b}.log "$work/hub.log" /tmp/ 2>/dev/null || true
  mkdir -p /tmp/gk8s-harness-logs # every run's agent logs, for a run that needs a second look
  for n in a b; do cp "$work/$n.log" "/tmp/gk8s-harness-logs/$scenario-$run-$n.log" 2>/dev/null || true
    cp "$work/$n-state/k3s.log" "/tmp/gk8s-harness-logs/$scenario-$run-$n-k3s.log" 2>/dev/null || true
    cp "$work/$n-postgres.log" "/tmp/gk8s-harness-logs/$scenario-$run-$n-postgres.log" 2>/dev/null || true; done
}
