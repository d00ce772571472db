#!/bin/sh
# A stand-in for the k3s binary as an upgrade sees it, where there is no K3s (these machines): an upgrade's
# artifact is this file with another VERSION line (ha-harness/run.sh upgrade, UpgradeCoordinatorTest).
#   k3s --version                     k3s version <VERSION> (stand-in)
#   k3s kubectl get --raw=/readyz     ok, unless VERSION's build is k3s99 (a K3s that never comes up, on request)
#   k3s server ...                    serves (sleeps) until killed
VERSION=v1.31.4+k3s1
case "${1:-}" in
  --version) echo "k3s version $VERSION (stand-in)"; echo "go version go1.22.9"; exit 0 ;;
  kubectl)
    case "$VERSION" in *+k3s99) echo "readyz check failed" >&2; exit 1 ;; esac
    echo ok; exit 0 ;;
  server) exec sleep 2147483647 ;;
  *) echo "k3s stand-in: unknown command ${1:-}" >&2; exit 2 ;;
esac
