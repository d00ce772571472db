#!/usr/bin/env bash
# Summarises ha-harness/reports/<scenario>.tsv files into one Markdown table (run.sh all calls it).
# Percentiles are nearest-rank over the runs of one scenario: with n runs, p99 is the largest value when n < 100.
set -euo pipefail
cd "$(dirname "$0")/reports"
echo "# HA fault matrix ($(date -u +%FT%TZ), $(nproc) cores)"
echo
echo "Each scenario: \`ha-harness/run.sh <scenario> <runs>\`; all: \`ha-harness/run.sh all <runs>\`. Default timing"
echo "(lease 3 s, margin 1.5 s, peer silence 1.5 s). Outage = the longest gap between acknowledged writes through the"
echo "VIP after the fault. Per-run details in \`<scenario>.md\`."
echo
echo "| scenario | runs | outage p50 (ms) | outage p99 (ms) | max (ms) | acknowledged writes lost | samples with two writers | samples with two VIP owners | runs with a violation |"
echo "|---|---|---|---|---|---|---|---|---|"
for s in "$@"; do
  [ -f "$s.tsv" ] || { echo "| $s | not run | | | | | | | |"; continue; }
  tail -n +2 "$s.tsv" | awk -F'\t' -v s="$s" '
    { n++; if ($2 ~ /^[0-9]+$/) v[++k] = $2; else stopped = $2
      lost += ($4 ~ /^[0-9]+$/ && $4 < $3) ? $3 - $4 : 0; two += $5; vips += $6; if ($8 ~ /VIOLATION/) bad++ }
    END {
      if (k > 0) {
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        p50 = v[int((k * 50 + 99) / 100)]; p99 = v[int((k * 99 + 99) / 100)]; max = v[k]
      } else { p50 = p99 = max = (stopped == "stopped" ? "writes stopped, as expected" : "never resumed") }
      printf "| %s | %d | %s | %s | %s | %d | %d | %d | %d |\n", s, n, p50, p99, max, lost, two, vips, bad + 0
    }'
done
