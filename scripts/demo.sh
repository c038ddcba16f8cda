#!/usr/bin/env bash
# The main job: sets up, builds, and runs the cloudflare-2020 scenario on the profiles
# raft, etcd-3.4 and etcd-3.5, printing the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/src/cli/faultline demo

# --- The lab part (owner: the lab). The same scenario on real clusters, next to the
# simulator's rows: etcd 3.4 without and with --pre-vote, and faultline with the
# etcd-3.4 and etcd-3.5 profiles. The lab needs root (network namespaces, nftables);
# without it, or without etcd, it says so and skips rather than running something else.
lab_scenario=cloudflare-2020
if [ "$(id -u)" -ne 0 ]; then
  echo "lab: skipped: the lab needs root for network namespaces and nftables, and this run is not root"
else
  systems=(--system faultline)
  if command -v etcd >/dev/null 2>&1; then
    systems=(--system etcd --system faultline)
  else
    echo "lab: etcd is not installed (apt-get install etcd-server): running faultline only"
  fi
  ./build/src/cli/faultline lab clean >/dev/null || true
  echo "lab: $lab_scenario, simulator and real clusters side by side (about 5 minutes)"
  ./build/src/cli/faultline compare "$lab_scenario" --profile etcd-3.4 --profile etcd-3.5 \
    "${systems[@]}" --out build/lab-runs
fi
