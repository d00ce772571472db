#!/bin/sh
# A stand-in for the k3s binary where there is no K3s (these machines), for the agent's K3s driver tests:
#   k3s-standin.sh DIR                      serves: writes DIR/pid, says which certificate it serves, runs until killed
#   k3s-standin.sh DIR certificate rotate   re-issues its certificates (DIR/cert-serial + 1); refused while it serves,
#                                           as K3s asks (stop it, rotate, start it); fails on request (DIR/fail-rotate)
set -eu
dir=$1
shift
if [ "${1:-}" = certificate ] && [ "${2:-}" = rotate ]; then
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "k3s is running: stop it before rotating its certificates" >&2
    exit 1
  fi
  if [ -f "$dir/fail-rotate" ]; then
    echo "rotation failed on request" >&2
    exit 1
  fi
  n=$(cat "$dir/cert-serial" 2>/dev/null || echo 0)
  echo $((n + 1)) > "$dir/cert-serial"
  echo "certificates rotated: serial $((n + 1))"
  exit 0
fi
echo $$ > "$dir/pid"
echo "serving with certificate serial $(cat "$dir/cert-serial" 2>/dev/null || echo 0)"
exec sleep 2147483647
