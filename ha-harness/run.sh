#!/usr/bin/env bash
# HA fault-injection harness: a two-node site and the hub in network namespaces, real PostgreSQL 15, real agents,
# a writer through the VIP. Usage (root): ha-harness/run.sh <scenario|all> [runs]
# Scenarios (docs/ha.md has the expectations): power-off, isolate-primary, standby-power-off, isolate-standby,
# cut-primary-standby, cut-primary-hub, cut-standby-hub, hub-down-primary-dies, hub-down-link-cut,
# freeze-primary-agent, freeze-agent-link-cut, freeze-primary-postgres, hub-restart-during-failover,
# old-primary-returns, old-primary-returns-hub-late, flapping-link, hub-down-force-promote, client-overrides-fenced,
# forged-acks, lease-mismatch, returns-into-cut, eligibility-order, upgrade, upgrade-bad-artifact, upgrade-agent,
# upgrade-agent-bad.
# "Writable" means: a client that overrides every setting (SET default_transaction_read_only = off; SET
# synchronous_commit = local; BEGIN READ WRITE; INSERT; COMMIT) commits, tried on each node's own PostgreSQL from its own
# namespace (ha-harness/Prober.java) every 50 ms. A run that aborts counts as a violation (exit 1).
# `all` runs every scenario and writes ha-harness/reports/matrix.md. Needs: ./mvnw -DskipTests package, Debian's
# postgresql-15, iproute2, iputils-arping, nftables. Writes ha-harness/reports/<scenario>.{md,tsv}.
set -eEuo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-power-off}
runs=${2:-3}
all_scenarios="power-off isolate-primary standby-power-off isolate-standby cut-primary-standby cut-primary-hub
  cut-standby-hub hub-down-primary-dies hub-down-link-cut freeze-primary-agent freeze-agent-link-cut
  freeze-primary-postgres hub-restart-during-failover old-primary-returns old-primary-returns-hub-late flapping-link
  hub-down-force-promote client-overrides-fenced forged-acks lease-mismatch returns-into-cut eligibility-order
  upgrade upgrade-bad-artifact upgrade-agent upgrade-agent-bad"
if [ "$scenario" = all ]; then
  failed=0
  for s in $all_scenarios; do bash "$0" "$s" "$runs" || failed=$((failed + 1)); done
  bash ha-harness/matrix.sh $all_scenarios > ha-harness/reports/matrix.md
  cat ha-harness/reports/matrix.md
  [ "$failed" -eq 0 ] || { echo "$failed scenario(s) violated an invariant" >&2; exit 1; }
  exit 0
fi
# per scenario: node writable at the end (a, b, none), whether writes resume, the epoch at the end
case "$scenario" in
  power-off|isolate-primary|freeze-primary-agent|hub-restart-during-failover|old-primary-returns) expect=(b 1 2) ;;
  old-primary-returns-hub-late) expect=(b 1 2) ;;
  freeze-agent-link-cut) expect=(b 1 2) ;;
  client-overrides-fenced|forged-acks|lease-mismatch|returns-into-cut) expect=(b 1 2) ;;
  eligibility-order) expect=(a 1 1) ;;
  hub-down-force-promote) expect=(b 1 2) ;;
  upgrade) expect=(b 1 2) ;;            # a rollout of K3s: standby first, planned switchover, the old primary
  upgrade-bad-artifact) expect=(a 1 1) ;; # its artifact refused on the standby: nothing installed, a serves on
  upgrade-agent) expect=(b 1 2) ;;      # K3s and the agent itself: each agent restarts into the new one (launcher)
  upgrade-agent-bad) expect=(a 1 1) ;;  # a new agent that dies at start: the launcher goes back, a serves on
  standby-power-off|isolate-standby|cut-primary-standby|cut-primary-hub|cut-standby-hub) expect=(a 1 1) ;;
  freeze-primary-postgres|flapping-link) expect=(a 1 1) ;;
  hub-down-primary-dies) expect=(none 0 1) ;;
  hub-down-link-cut) expect=(none 0 1) ;;
  *) echo "unknown scenario $scenario; one of: all $all_scenarios" >&2; exit 2 ;;
esac
source ha-harness/lib.sh

# upgrade scenarios: the site's template (revision 1: K3s v1.31.4, what the stand-in binaries run), then at the fault
# revision 2 naming v1.31.5 and its signed artifact (tampered on the wire for upgrade-bad-artifact) and a rollout
upgrading=0 agentup=0
case "$scenario" in upgrade|upgrade-bad-artifact) upgrading=1 ;; upgrade-agent|upgrade-agent-bad) upgrading=1 agentup=1 ;; esac
agent_next=0.1.0-harness2 # the agent version of revision 2 in the agent scenarios (the built jar, relabelled)
template() { # revision-file k3s-version [artifact-entry-file [agent-version]]
  # without the template's PostgreSQL settings: two need a restart, which at the first binding would already be a
  # switchover (PlannedSwitchoverTest covers settings); this scenario measures the K3s upgrade's
  sed -e "s/name: store-standard/name: upg-$site/" -e "s/site-kind: store/site-kind: $site/" \
    -e "s/k3s: v1.31.4+k3s1/k3s: $2/" -e "s/    agent: 0.1.0\$/    agent: ${4:-0.1.0}/" \
    -e '/^  postgres:/,/^  vip:/{/^  vip:/!d}' fleet-templates/store-standard.yaml > "$1"
  [ -z "${3:-}" ] || { echo "  artifacts:"; sed 's/^/    /' "$3"; } >> "$1"
}
prepare_artifacts() { # once per scenario: the signing key, the new binary and its signed entry, served from h
  mkdir -p "$work/artifacts"
  java -jar cli/target/gk8s.jar artifact keygen --private "$work/signing.key" --public "$work/signing.pub" >/dev/null
  sed 's/^VERSION=.*/VERSION=v1.31.5+k3s1/' ha-harness/k3s-binary-standin.sh > "$work/artifacts/k3s-v1.31.5"
  local suffix=""; [ "$scenario" != upgrade-bad-artifact ] || suffix=-tampered
  java -jar cli/target/gk8s.jar artifact sign --key "$work/signing.key" --name k3s --artifact-version v1.31.5+k3s1 \
    --url "http://${ip[h]}:8088/k3s-v1.31.5$suffix" "$work/artifacts/k3s-v1.31.5" > "$work/artifact-entry.yaml"
  { cat "$work/artifacts/k3s-v1.31.5"; echo "# one more line than was signed"; } > "$work/artifacts/k3s-v1.31.5-tampered"
  if [ "$agentup" = 1 ]; then # the built agent's release bundle, relabelled $agent_next (for -bad: a main class it lacks)
    mkdir -p "$work/agent-home/runtime/bin"
    ln -sf "$(readlink -f "$(command -v java)")" "$work/agent-home/runtime/bin/java"
    ln -sf "$PWD/edge-agent/target/node/edge-agent.jar" "$work/agent-home/edge-agent.jar"
    local main=io.geminik8s.agent.Main; [ "$scenario" != upgrade-agent-bad ] || main=io.geminik8s.agent.NotInThisBuild
    python3 ha-harness/relabel_bundle.py edge-agent/target/gk8s-agent-*-bundle.zip "$agent_next" "$main" \
      "$work/artifacts/agent-$agent_next.zip"
    java -jar cli/target/gk8s.jar artifact sign --key "$work/signing.key" --name agent --artifact-version "$agent_next" \
      --url "http://${ip[h]}:8088/agent-$agent_next.zip" "$work/artifacts/agent-$agent_next.zip" >> "$work/artifact-entry.yaml"
  fi
  chmod -R a+rX "$work/artifacts"
  in_ns h python3 -m http.server 8088 --bind ${ip[h]} --directory "$work/artifacts" > "$work/artifacts.log" 2>&1 &
  pids+=($!)
}
start_rollout() {
  if [ "$scenario" = upgrade-agent-bad ]; then # only the agent changes: its entry alone, K3s as it is
    sed -n '/name: agent/,$p' "$work/artifact-entry.yaml" > "$work/agent-entry.yaml"
    template "$work/rev2.yaml" v1.31.4+k3s1 "$work/agent-entry.yaml" "$agent_next"
  elif [ "$agentup" = 1 ]; then
    template "$work/rev2.yaml" v1.31.5+k3s1 "$work/artifact-entry.yaml" "$agent_next"
  else
    template "$work/rev2.yaml" v1.31.5+k3s1 "$work/artifact-entry.yaml"
  fi
  api_post /api/v1/templates application/yaml "$work/rev2.yaml" >/dev/null
  printf '{"template":"upg-%s","toRevision":2,"strategy":{"canary":"1","waves":["100%%"],"soak":"PT5S"}}' "$site" \
    > "$work/rollout.json"
  rollout_id=$(api_post /api/v1/rollouts application/json "$work/rollout.json" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
}
rollout_phase() { api /api/v1/rollouts/$rollout_id | grep -o '"phase":"[a-z_]*"' | head -1 | cut -d'"' -f4; }
rollout_is() { [ "$(rollout_phase)" = "$1" ]; }
inject() { # the fault at t=0 of the samples
  case "$scenario" in
    power-off|old-primary-returns|old-primary-returns-hub-late|returns-into-cut) killtree "${agent_pid[a]}"; ip -n gk8s-a link set v-a down ;;
    isolate-primary|client-overrides-fenced|lease-mismatch) ip -n gk8s-br link set p-a down ;;
    forged-acks) # a cut from b and the hub; from c, as b's address, every datagram b sent a before, again and forged
      kill "$sniffer" 2>/dev/null || true
      partition a b; partition a h
      in_ns c python3 ha-harness/peer_attack.py attack "$work/captured-$run" ${ip[b]} ${ip[a]} 7946 14 \
        > "$work/attack-$run.log" 2>&1 &
      attacker=$!; pids+=($attacker) ;;
    eligibility-order) partition a b ;;
    standby-power-off) killtree "${agent_pid[b]}"; ip -n gk8s-b link set v-b down ;;
    isolate-standby) ip -n gk8s-br link set p-b down ;;
    cut-primary-standby) partition a b ;;
    flapping-link) partition a b; flap_cut=1 ;;
    cut-primary-hub) partition a h ;;
    cut-standby-hub) partition b h ;;
    hub-down-primary-dies) killtree "$hub_pid"; sleep 1; killtree "${agent_pid[a]}"; ip -n gk8s-a link set v-a down ;;
    hub-down-link-cut) killtree "$hub_pid"; sleep 1; partition a b ;;
    freeze-primary-agent) frozen=$(java_of "${agent_pid[a]}"); kill -STOP $frozen ;;
    freeze-agent-link-cut) frozen=$(java_of "${agent_pid[a]}"); kill -STOP $frozen; partition a b ;;
    freeze-primary-postgres) frozen=$(descendants "$(postgres_of a | head -1)"); kill -STOP $frozen ;;
    hub-down-force-promote) killtree "$hub_pid"; sleep 1; killtree "${agent_pid[a]}"; ip -n gk8s-a link set v-a down ;;
    hub-restart-during-failover) killtree "${agent_pid[a]}"; ip -n gk8s-a link set v-a down; sleep 1
      killtree "$hub_pid"; launch_hub ;;
    upgrade|upgrade-bad-artifact|upgrade-agent|upgrade-agent-bad) start_rollout ;;
  esac
}

during() { # ms since the fault -> follow-up steps of a scenario, each once
  local t=$1
  case "$scenario" in
    freeze-primary-agent|freeze-primary-postgres|freeze-agent-link-cut) # 10 s: far past the lease (a killed postgres
      # ignores SIGCONT); the cut heals at the thaw, so that a can rejoin
      [ -z "$frozen" ] || [ "$t" -lt 10000 ] || [ -n "$thawed" ] || { kill -CONT $frozen 2>/dev/null || true; thawed=$t
        [ "$scenario" != freeze-agent-link-cut ] || heal; } ;;
    old-primary-returns|old-primary-returns-hub-late)
      # the node rebooted: addresses added at run time are gone (an agent restart without reboot releases the VIP
      # itself, first thing)
      [ "$t" -lt 8000 ] || [ -n "$returned_ms" ] || { ip -n gk8s-a addr flush dev v-a; ip -n gk8s-a addr add ${ip[a]}/24 dev v-a
        ip -n gk8s-a link set v-a up
        [ "$scenario" = old-primary-returns ] || partition a h # its first 4 s back: the hub unreachable
        launch_agent a b primary
        returned_ms=$(now_ms); }
      [ -z "$returned_ms" ] || [ "$t" -lt 12000 ] || [ -n "$hub_back" ] || { heal; hub_back=$t; } ;;
    returns-into-cut) # a reboots at 8 s into a cut from b (the hub refuses it: it must wait for b to rejoin)
      [ "$t" -lt 8000 ] || [ -n "$returned_ms" ] || { partition a b; ip -n gk8s-a addr flush dev v-a
        ip -n gk8s-a addr add ${ip[a]}/24 dev v-a; ip -n gk8s-a link set v-a up
        launch_agent a b primary
        returned_ms=$(now_ms); }
      # at 30 s, before the heal: a's old data still there (a failed clone must not have deleted it)
      [ "$t" -lt 30000 ] || [ -n "$hub_back" ] || { [ -f "$work/a-pg/PG_VERSION" ] && data_kept=t || data_kept=f
        heal; hub_back=$t; } ;;
    eligibility-order) [ "$t" -lt 5000 ] || [ -n "$hub_back" ] || { heal; hub_back=$t; } ;;
    hub-down-force-promote) # the operator acts 3 s after the primary died; the hub returns at 8 s
      [ "$t" -lt 3000 ] || [ -n "$forced" ] || { forced=$t; in_ns b env $(cat "$work/b.env") java -jar \
        edge-agent/target/node/edge-agent.jar force-promote --accept-data-loss --reason "harness: a powered off, hub down" \
        > "$work/force.log" 2>&1 & }
      [ "$t" -lt 8000 ] || kill -0 "$hub_pid" 2>/dev/null || launch_hub ;;
    flapping-link) # 1 s cut, 1 s up
      local want=$(( t / 1000 % 2 == 0 ? 1 : 0 ))
      [ "$want" = "$flap_cut" ] || { [ "$want" = 1 ] && partition a b || heal; flap_cut=$want; flaps=$((flaps + 1)); } ;;
  esac
}

fenced_check() { # a's prober log: a client on a, overriding everything, committed after the fault (reached it), then
  # nothing after its first refusal, which came by the lease (3 s) + 250 ms; at least 20 refused attempts after it
  awk -v f="$fault_ms" -v lease=3000 "$sample"' && $1 > f + 0 {
      if ($3 == "w") { if (refused) late++; else before++ } else if (!refused) { refused = $2 } else after++ }
    END { ok = before > 0 && refused && refused <= f + lease + 250 && late == 0 && after >= 20
      printf "client on a: %d commits after the fault, refused from +%d ms, %d commits after that, %d refused attempts", before, refused - f, late, after
      exit ok ? 0 : 1 }' "$1"
}

results=()
violations=0
network
start_hub
log "hub up"
[ "$upgrading" = 0 ] || prepare_artifacts
mkdir -p ha-harness/reports
tsv=ha-harness/reports/$scenario.tsv
printf 'run\toutage_ms\tacked\trows\ttwo_writers\ttwo_vip_owners\tepoch\textra\n' > "$tsv"
for run in $(seq 1 "$runs"); do
  rm -rf "$work"/{a,b}-pg "$work"/{a,b}-state 2>/dev/null || true
  : > "$work/a.log"; : > "$work/b.log" # each run's checks (e.g. forged-acks' drop counts) read only its own lines
  new_site harness-$run
  frozen="" thawed="" hub_back="" returned_ms="" bad_fence="" flap_cut=0 flaps=0 forced="" bad_extra="" data_kept=""
  sniffer="" attacker=""
  fresh_nodes
  rm -rf "$work"/{a,b}-bin
  if [ "$upgrading" = 1 ]; then # the site's template at revision 1 before its nodes are born: bound at once
    template "$work/rev1.yaml" v1.31.4+k3s1
    api_post /api/v1/templates application/yaml "$work/rev1.yaml" >/dev/null
  fi
  start_agent a b primary
  start_agent b a standby
  wait_for "synchronous replication" 60 is_sync a b
  start_probers "$run"
  in_ns c env PGPASSWORD="$pgpw" java -cp "$(ls edge-agent/target/lib/postgresql-*.jar)" ha-harness/Writer.java \
    "jdbc:postgresql://$vip:5432/postgres" 40 > "$work/writer-$run.log" 2>&1 &
  writer=$!
  pids+=($writer)
  wait_for "writes through the VIP" 30 grep -q "^ok " "$work/writer-$run.log"
  if [ "$scenario" = forged-acks ]; then # what b sends a before the fault, for the attacker to replay
    in_ns a python3 ha-harness/peer_attack.py sniff v-a ${ip[b]} 7946 "$work/captured-$run" &
    sniffer=$!; pids+=($sniffer)
  fi
  sleep 3 # steady writes before the fault
  fault_ms=$(now_ms)
  inject
  log "run $run: fault $scenario injected"
  vips=0 samples=0 span=15000
  [ "$scenario" != returns-into-cut ] || span=31000 # the cut lasts from +8 s to +30 s
  while t=$(( $(now_ms) - fault_ms )); [ "$t" -lt "$span" ]; do # VIP samples; the probers sample writes
    during "$t"
    va=$(owns_vip a); vb=$(owns_vip b)
    samples=$((samples + 1))
    [ "$va" = t ] && [ "$vb" = t ] && vips=$((vips + 1))
    sleep 0.05
  done
  vip_every=$((span / samples))
  extra=""
  if [ "$scenario" = old-primary-returns ] || [ "$scenario" = old-primary-returns-hub-late ] \
    || [ "$scenario" = returns-into-cut ]; then
    if wait_for "a as synchronous standby of b" 60 is_sync b a; then
      extra="rejoined as sync standby $(( $(now_ms) - returned_ms )) ms after its agent started"
    else
      extra="did not rejoin"; violations=$((violations + 1))
    fi
  fi
  [ "$scenario" = flapping-link ] && extra="$flaps link changes"
  if [ "$upgrading" = 1 ]; then # how the rollout ended, and what each node's K3s reports now
    want=paused; [ "$scenario" != upgrade ] && [ "$scenario" != upgrade-agent ] || want=succeeded
    wait_for "rollout $rollout_id $want" 90 rollout_is "$want" || true
    phase=$(rollout_phase)
    # awk reads all of the output: head would close the pipe early, and pipefail takes the writer's SIGPIPE for a failure
    va=$("$work/a-bin/k3s" --version | awk 'NR == 1 {print $3}'); vb=$("$work/b-bin/k3s" --version | awk 'NR == 1 {print $3}')
    steps=$(api "/api/v1/sites/$site/events?limit=1000" | grep -o '"type":"[a-z.-]*"' | cut -d'"' -f4 \
      | grep -E '^(upgrade|artifact|witness\.switchover|ha\.switchover)' | sort | uniq -c \
      | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
    extra="rollout $rollout_id $phase at +$(( $(now_ms) - fault_ms )) ms; K3s a $va, b $vb; events: $steps"
    [ "$phase" = "$want" ] || bad_extra+=" rollout $phase, expected $want;"
    if [ "$agentup" = 1 ]; then # which agent each node runs now (the jar of its java process) and what it confirmed
      for n in a b; do
        jar=$(for p in $(java_of "${agent_pid[$n]}"); do tr '\0' ' ' < /proc/$p/cmdline | grep -o '[^ ]*edge-agent.jar'; done | head -1)
        ran[$n]=$(case "$jar" in */agent/*/edge-agent.jar) basename "$(dirname "$jar")" ;; *) echo packaged ;; esac)
        conf[$n]=$(cat "$work/$n-state/agent/current" 2>/dev/null || echo none)
      done
      extra="$extra; agent a ${ran[a]} (confirmed ${conf[a]}), b ${ran[b]} (confirmed ${conf[b]})"
      if [ "$scenario" = upgrade-agent ]; then
        [ "${ran[a]}" = "$agent_next" ] && [ "${ran[b]}" = "$agent_next" ] && [ "${conf[a]}" = "$agent_next" ] \
          && [ "${conf[b]}" = "$agent_next" ] || bad_extra+=" not both agents on $agent_next;"
      else
        [ "${ran[a]}" = packaged ] && [ "${ran[b]}" = packaged ] || bad_extra+=" an agent is not back on the packaged one;"
      fi
    fi
    if [ "$scenario" = upgrade ] || [ "$scenario" = upgrade-agent ]; then
      [ "$va" = v1.31.5+k3s1 ] && [ "$vb" = v1.31.5+k3s1 ] || bad_extra+=" not both on v1.31.5+k3s1;"
    else
      [ "$va" = v1.31.4+k3s1 ] && [ "$vb" = v1.31.4+k3s1 ] || bad_extra+=" a refused artifact changed a binary;"
    fi
  fi
  [ "$scenario" = hub-down-force-promote ] && extra="operator at +$forced ms: $(cat "$work/force.log")"
  wait "$writer" || true
  for n in a b; do killtree "${prober[$n]}"; done
  # two writers: a commit acknowledged on one node after one was acknowledged on the other (either direction), over
  # every sample of the run, before and after the fault; the probers' lines: <start ms> <answer ms> w|-
  both=$(probe_overlap "$work/probe-a-$run.log" "$work/probe-b-$run.log")
  probes="probes: $(probe_stats a "$work/probe-a-$run.log"), $(probe_stats b "$work/probe-b-$run.log"); VIP every ${vip_every} ms"
  extra="$extra${extra:+; }$probes"
  if [ "$scenario" = returns-into-cut ]; then # fenced, waiting for b, its old data kept through the cut
    extra="$extra; a's data at +30 s: $([ "$data_kept" = t ] && echo kept || echo GONE)"
    [ "$data_kept" = t ] || bad_extra+=" a's old data was deleted before a new copy was complete;"
  fi
  if [ "$scenario" = forged-acks ]; then
    wait "$attacker" && attack="$(tail -1 "$work/attack-$run.log")" || { attack="attack failed: $(tail -1 "$work/attack-$run.log")"
      bad_extra+=" the attack was not delivered;"; }
    drops=$( { grep -o "peer datagram dropped ([A-Z_]*, [0-9]* so far)" "$work/a.log" || true; } | sed 's/peer datagram dropped (//; s/ so far)//' \
      | awk -F', ' '{ if ($2 > m[$1]) m[$1] = $2 } END { for (r in m) printf "%s%s >= %d", (s++ ? ", " : ""), r, m[r] }')
    extra="$extra; attacker: $attack; a dropped: ${drops:-none}"
    grep -q "REPLAYED" <<< "$drops" && grep -q "BAD_MAC" <<< "$drops" || bad_extra+=" a did not see replays and forgeries;"
  fi
  if [ "$scenario" = client-overrides-fenced ] || [ "$scenario" = lease-mismatch ]; then
    fence_line=$(fenced_check "$work/probe-a-$run.log") || bad_fence=1
    extra="$extra; $fence_line"
  fi
  end_writer=none
  [ "$(writable a)" = t ] && end_writer=a
  [ "$(writable b)" = t ] && end_writer=$([ $end_writer = a ] && echo both || echo b)
  kill -0 "$hub_pid" 2>/dev/null || launch_hub
  wait_for "hub" 90 hub_up
  final_epoch=$(epoch || true)
  # no event found (the hub just back) is a finding for the report, not an abort under pipefail
  [ "$scenario" = hub-down-force-promote ] && extra="$extra; events: $( { api "/api/v1/sites/$site/events" \
    | grep -o '"type":"[a-z.-]*force[a-z.-]*"' || echo '"type":"none found"'; } | cut -d'"' -f4 | sort | uniq | paste -sd, -)"
  if [ "$scenario" = lease-mismatch ]; then
    mismatch=$(api "/api/v1/sites/$site/events?node=a" | grep -c '"type":"ha.lease-mismatch"' || true)
    extra="$extra; a journaled ha.lease-mismatch: $([ "$mismatch" -gt 0 ] && echo yes || echo no)"
    [ "$mismatch" -gt 0 ] || bad_extra+=" the lease mismatch was not reported;"
  fi
  if [ "$scenario" = eligibility-order ]; then # after the heal: b eligible at the hub only once a named it
    order=$(api "/api/v1/sites/$site/events?limit=1000" | python3 ha-harness/first_events.py "$fault_ms" \
      ha.sync-standby-added witness.standby-eligible)
    named_at=${order% *}; eligible_at=${order#* }
    extra="$extra; after the heal: b eligible at the hub $([ "$named_at" != none ] && [ "$eligible_at" != none ] \
      && echo "$((eligible_at - named_at)) ms after a named it" || echo "named $named_at, eligible $eligible_at")"
    { [ "$named_at" != none ] && [ "$eligible_at" != none ] && [ "$eligible_at" -ge "$named_at" ]; } \
      || bad_extra+=" b eligible before a named it (or either missing);"
  fi
  [ "$scenario" = freeze-primary-postgres ] && extra="events of a: $(api "/api/v1/sites/$site/events?node=a" | grep -o '"type":"ha\.[a-z-]*"' | cut -d'"' -f4 \
    | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
  # the outage: the longest gap between acknowledged writes from the fault on (empty: writes never resumed)
  outage=$(awk -v f="$fault_ms" '$1 == "ok" && $3 <= f { prev = $3 }
    $1 == "ok" && $3 > f { if (!prev) prev = f; if ($3 - prev > max) max = $3 - prev; prev = $3; seen = 1 }
    END { if (seen) print max }' "$work/writer-$run.log")
  acked=$(awk '$1 == "ok" { n++ } END { print n + 0 }' "$work/writer-$run.log")
  survivor=${expect[0]}; [ "$survivor" = none ] && survivor=a
  [ "$scenario" = hub-down-primary-dies ] && survivor=b
  rows=$(q $survivor "SELECT count(*) FROM harness_writes")
  rows_from=$survivor
  [ "$survivor" = a ] && [ "$rows" = down ] && rows=$(q b "SELECT count(*) FROM harness_writes") && rows_from=b
  bad="$bad_extra"
  [ -z "${bad_fence:-}" ] || bad+=" a commit on the isolated primary after its fence;"
  # a fenced survivor's PostgreSQL is killed (hub-down-link-cut): its synchronous standby has every acknowledged row
  kine_node=$survivor
  [ "$survivor" = a ] && [ "$rows_from" = b ] && kine_node=b
  kine=$(kine_check "$fault_ms" "$kine_node") || bad+=" kine revisions went back or are missing;"
  extra="$extra${extra:+; }$kine"
  if [ "${expect[1]}" = 0 ]; then # no write may succeed after the fault (+1 s for the hub kill, +0.5 s in flight)
    late=$(awk -v f=$((fault_ms + 1500)) '$1 == "ok" && $3 > f { n++ } END { print n + 0 }' "$work/writer-$run.log")
    [ "$late" = 0 ] || bad+=" $late writes after the fault;"
    outage="stopped"
  else
    [ -n "$outage" ] || bad+=" writes never resumed;"
  fi
  [ "$both" -eq 0 ] || bad+=" two writers;"
  [ "$vips" -eq 0 ] || bad+=" two VIP owners;"
  [ "${rows:-0}" != down ] && [ "${rows:-0}" -ge "$acked" ] || bad+=" acknowledged writes missing ($rows < $acked);"
  [ "$end_writer" = "${expect[0]}" ] || bad+=" writer at the end: $end_writer, expected ${expect[0]};"
  [ "$final_epoch" = "${expect[2]}" ] || bad+=" epoch ${final_epoch:-?}, expected ${expect[2]};"
  log "run $run: outage ${outage:-none} ms; acked $acked, rows $rows; two writers $both; two VIPs $vips;" \
    "epoch $final_epoch; $extra${bad:+; VIOLATION:$bad}"
  results+=("| $run | ${outage:-never resumed} | $acked | $rows | $both | $vips | ${final_epoch:-?} | $extra${bad:+ **VIOLATION:$bad**} |")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "${outage:-}" "$acked" "$rows" "$both" "$vips" "${final_epoch:-}" \
    "$extra${bad:+ VIOLATION:$bad}" >> "$tsv"
  [ -z "$bad" ] || violations=$((violations + 1))
  [ -z "$frozen" ] || kill -CONT $frozen 2>/dev/null || true
  log "run $run: $samples samples"
  end_run
done

{
  echo "# HA harness: $scenario ($(date -u +%FT%TZ), $(nproc) cores)"
  echo
  echo "Command: \`ha-harness/run.sh $scenario $runs\`. Lease 3 s, margin 1.5 s, peer silence 1.5 s (defaults)."
  case "$scenario" in
    upgrade|upgrade-bad-artifact) echo "The fault is a rollout of the site's template to K3s v1.31.5+k3s1 (stand-in K3s binaries; its signed artifact$([ "$scenario" = upgrade ] || echo ', tampered on the wire'))." ;;
    upgrade-agent) echo "The fault is a rollout of the site's template to K3s v1.31.5+k3s1 and agent $agent_next (the built agent's signed release bundle, relabelled), the agents run by the package's launcher, started again when they end." ;;
    upgrade-agent-bad) echo "The fault is a rollout of the site's template to agent $agent_next whose jar names a main class it lacks (signed: it passes every check, then dies at start); the agents run by the package's launcher, started again when they end." ;;
  esac
  echo "Expected: writable at the end ${expect[0]}; writes $([ "${expect[1]}" = 1 ] && echo resume || echo stay stopped);"
  echo "epoch ${expect[2]} at the end."
  echo
  echo "Invariants per run: the expected writer and epoch at the end, every acknowledged write on the survivor, and"
  echo "no two writers (a commit acknowledged on one node after one was acknowledged on the other, by a client on each"
  echo "node's own PostgreSQL that overrides every setting, every 50 ms from before the fault to the end of the run, every"
  echo "sample counted) and no sample (15 s after the fault) with two VIP owners. An aborted run is a violation."
  echo
  echo "| run | longest gap between acknowledged writes after the fault (ms) | writes acknowledged | rows on the survivor | samples with two writers | samples with two VIP owners | epoch at the end | notes |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${results[@]}"
} > "ha-harness/reports/$scenario.md"
cat "ha-harness/reports/$scenario.md"
finished=1
[ "$violations" -eq 0 ] || { log "$violations run(s) violated an invariant"; exit 1; }
