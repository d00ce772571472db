# Sourced by run.sh: checks what the Kine stand-ins (KineStandIn.java, run by the agents as K3s) saw in one run.
# kine_check <fault ms> <survivor node>: prints a summary; returns 1 when a revision went back or an acknowledged
# revision is missing on the survivor.
kine_check() {
  local fault=$1 survivor=$2 logs=("$work"/a-state/k3s.log "$work"/b-state/k3s.log)
  local acked="$work/kine-acked" present="$work/kine-present"
  cat "${logs[@]}" 2>/dev/null | awk '$1 == "rev" { print $2, $3, $4 }' | sort -n > "$acked"
  [ -s "$acked" ] || { echo "kine: no revision acknowledged"; return 1; }
  qk "$survivor" "SELECT id FROM kine ORDER BY id" | sort -n > "$present"
  local missing back before after_min stopped
  # a set difference, not comm: comm needs lexical order, and on numerically sorted ids it took every acknowledged
  # 3-digit revision for missing when the survivor also had unacknowledged 2-digit ones (found by forged-acks)
  # FILENAME, not NR == FNR: with an empty survivor table NR == FNR would hold for the acknowledged file too
  missing=$(awk 'FILENAME == ARGV[1] { present[$1] = 1; next } !($1 in present) { n++ } END { print n + 0 }' \
    "$present" "$acked")
  before=$(awk -v f="$fault" '$3 <= f && $1 > m { m = $1 } END { print m + 0 }' "$acked")
  # every revision acknowledged 0.5 s after the fault or later must be newer than all acknowledged before it
  back=$(awk -v f="$fault" -v b="$before" '$3 > f + 500 && $1 <= b { n++ } END { print n + 0 }' "$acked")
  after_min=$(awk -v f="$fault" '$3 > f + 500 && (m == "" || $1 < m) { m = $1 } END { print m }' "$acked")
  stopped=$(awk -v f="$fault" '$1 == "stopped" && $2 == "a" && $3 > f { print $3 - f; exit }' "${logs[0]}" 2>/dev/null)
  echo "kine: $(wc -l < "$acked") revisions acked, last before the fault $before, first after ${after_min:-none}, highest $(tail -1 "$acked" | cut -d' ' -f1)," \
    "$back went back, $missing missing${stopped:+; K3s of a stopped at +$stopped ms}"
  [ "$back" -eq 0 ] && [ "$missing" -eq 0 ]
}
