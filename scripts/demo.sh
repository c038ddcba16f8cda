#!/usr/bin/env bash
# The main job: sets up and builds faultline, then runs the cloudflare-2020 scenario
#   1. in the simulator, on the profiles raft, etcd-3.4 and etcd-3.5 (seconds);
#   2. when run as root, in the lab as well: Debian's etcd 3.4 without and with --pre-vote,
#      and faultline serve with the etcd-3.4 and etcd-3.5 profiles, each a real 3-node
#      cluster in network namespaces, next to the simulator's rows (about 5 minutes);
# and writes the comparison report. Everything goes under demo-out/ (or $FAULTLINE_DEMO_OUT):
#   demo-out/sim/            the simulator's run records
#   demo-out/lab/            the lab's run records (and compare's own simulator rows)
#   demo-out/cloudflare-2020.html, demo-out/figures/*.png   the report
# FAULTLINE_DEMO_LAB=0 skips the lab even as root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

faultline=./build/src/cli/faultline
out=${FAULTLINE_DEMO_OUT:-demo-out}
scenario=cloudflare-2020
rm -rf "$out"
mkdir -p "$out"

echo
echo "== $scenario in the simulator (scenarios/$scenario.toml) =="
"$faultline" sim "$scenario" --profile raft --profile etcd-3.4 --profile etcd-3.5 --out "$out/sim"

runs=("$out/sim")
echo
if [[ ${FAULTLINE_DEMO_LAB:-1} == 0 ]]; then
  echo "== lab: skipped (FAULTLINE_DEMO_LAB=0) =="
elif [[ $(id -u) -ne 0 ]]; then
  echo "== lab: skipped: it needs root for network namespaces and nftables, and this run is not root =="
else
  systems=(--system etcd --system faultline)
  if ! command -v etcd >/dev/null 2>&1; then
    echo "lab: etcd is not installed (apt-get install etcd-server); running faultline only"
    systems=(--system faultline)
  fi
  echo "== $scenario in the lab next to the simulator (real clusters, about 5 minutes) =="
  "$faultline" lab clean >/dev/null 2>&1 || true
  if "$faultline" compare "$scenario" --profile etcd-3.4 --profile etcd-3.5 "${systems[@]}" \
    --out "$out/lab"; then
    # compare's own simulator rows repeat the ones above; the report takes the lab's.
    for dir in "$out"/lab/lab-*; do runs+=("$dir"); done
  else
    echo "lab: the lab run failed (above); the report shows the simulator only"
  fi
fi

echo
echo "== report =="
"$faultline" report "${runs[@]}" -o "$out/$scenario.html" --png "$out/figures"
echo "report: $(realpath "$out/$scenario.html")"
