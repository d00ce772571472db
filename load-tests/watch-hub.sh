#!/usr/bin/env bash
# Prints, every few seconds while a load scenario runs, what the hub process and the simulator hold: open files
# (the limit that bounds one broker process here), established MQTT connections, and what the hub's API reports
# (nodes online, broker connections / admitted maximum). An empty API column means the hub did not answer in 5 s.
#   load-tests/watch-hub.sh [interval-seconds]   (run beside a scenario; Ctrl-C to stop)
set -u
interval=${1:-10}
echo "time hub_open_files simulator_open_files mqtt_established nodes_online broker_connections/max"
while true; do
  hub=$(pgrep -f quarkus-run.jar | head -1)
  sim=$(pgrep -f "load-tests.jar" | head -1)
  if [ -n "$hub" ]; then
    args=$(tr '\0' ' ' < /proc/"$hub"/cmdline)
    data=$(grep -o 'gk8s.data-dir=[^ ]*' <<< "$args" | cut -d= -f2)
    mqtt=$(grep -o 'mqtt-port=[0-9]*' <<< "$args" | cut -d= -f2)
    http=$(grep -o 'http.port=[0-9]*' <<< "$args" | cut -d= -f2)
    token=$(cat "$data/api-token" 2>/dev/null)
    m=$(curl -s -m 5 -H "Authorization: Bearer $token" "http://127.0.0.1:$http/q/metrics" 2>/dev/null)
    gauge() { awk -v n="$1" '$1 == n { print $2 }' <<< "$m"; }
    echo "$(date +%T) $(ls /proc/"$hub"/fd 2>/dev/null | wc -l) $(ls /proc/"$sim"/fd 2>/dev/null | wc -l)" \
      "$(ss -tnH state established "( sport = :$mqtt )" 2>/dev/null | wc -l)" \
      "$(gauge gk8s_nodes_online) $(gauge gk8s_broker_connections)/$(gauge gk8s_broker_connections_max)"
  fi
  sleep "$interval"
done
