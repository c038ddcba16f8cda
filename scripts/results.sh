#!/usr/bin/env bash
# Regenerates what docs/results.md shows: every figure (docs/figures/*.png) and every table
# (docs/results/*.txt), from runs made here and now. The simulator parts take a few minutes;
# as root the lab parts follow (real etcd and faultline clusters in network namespaces,
# about 120 minutes, 80 of them the atlas on real clusters). Run it on a quiet machine: the
# lab runs in real time, and a machine busy with other work starves the nodes' timers and
# adds elections of its own.
#   scripts/results.sh              # everything it can (the lab only as root)
#   RESULTS_LAB=0 scripts/results.sh  # the simulator and the atlas only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null

faultline=$PWD/build/src/cli/faultline
work=build/results
figures=docs/figures
tables=docs/results
rm -rf "$work"
mkdir -p "$work" "$figures" "$tables"

# report RUN_DIRS... -> the comparison figure of those runs as docs/figures/NAME.png
figure() {
  local name=$1
  shift
  "$faultline" report "$@" -o "$work/$name.html" --png "$work/$name-png" >/dev/null
  cp "$work/$name-png/comparison.png" "$figures/$name.png"
  echo "results: $figures/$name.png"
}
# table NAME COMMAND... -> the command's output as docs/results/NAME.txt, with the command
table() {
  local name=$1
  shift
  {
    echo "\$ faultline ${*:2}"
    "$@"
  } >"$tables/$name.txt"
  echo "results: $tables/$name.txt"
}

# --- The model: the catalogue on every profile that matters, 20 seeds for the tables -------
table cloudflare-2020-sim "$faultline" sim cloudflare-2020 -p raft -p etcd-3.4 -p etcd-3.5 \
  --seeds 20
"$faultline" sim cloudflare-2020 -p raft -p etcd-3.4 -p etcd-3.5 --out "$work/sim" >/dev/null
figure cloudflare-2020-sim "$work/sim/cloudflare-2020"
cp "$work/cloudflare-2020-sim-png/sim-faultline-etcd-3.4-seed-1-nodes.png" \
  "$figures/cloudflare-2020-etcd-3.4-nodes.png"

table intermittent-full-sim "$faultline" sim intermittent-full -p raft -p etcd-3.4 -p etcd-3.5 \
  --seeds 20
"$faultline" sim intermittent-full -p etcd-3.4 -p etcd-3.5 --out "$work/sim" >/dev/null
figure intermittent-full-sim "$work/sim/intermittent-full"

table lossy-link-sim "$faultline" sim lossy-link -p raft -p etcd-3.4 -p etcd-3.5 --seeds 20
"$faultline" sim lossy-link -p etcd-3.4 -p etcd-3.5 --out "$work/sim" >/dev/null
figure lossy-link-sim "$work/sim/lossy-link"

# The cloudflare cut on a nearly idle cluster (10 writes/s).
table chained-sim "$faultline" sim chained -p raft -p etcd-3.4 -p etcd-3.5 --seeds 20

# A one-way cut: over TCP (the default) and as a model of messages sees it.
table one-way-sim "$faultline" sim one-way -p raft -p etcd-3.4 -p etcd-3.5 --seeds 20
table one-way-sim-datagram "$faultline" sim one-way -p raft -p etcd-3.4 -p etcd-3.5 --seeds 20 \
  --loss-model datagram

# A deaf leader (nothing reaches it), over TCP and with messages dropped.
table deaf-leader-sim "$faultline" sim tests/lab/scenarios/deaf-leader.toml -p raft \
  -p etcd-3.4 -p etcd-3.5 -p prevote -p thesis-prevote --seeds 20
table deaf-leader-sim-datagram "$faultline" sim tests/lab/scenarios/deaf-leader.toml -p raft \
  -p etcd-3.4 -p etcd-3.5 -p prevote -p thesis-prevote --seeds 20 --loss-model datagram

all_profiles=(-p raft -p etcd-3.4 -p etcd-3.5 -p prevote -p thesis-prevote)
table quorum-loss-sim "$faultline" sim quorum-loss "${all_profiles[@]}" --seeds 20
"$faultline" sim quorum-loss "${all_profiles[@]}" --out "$work/sim" >/dev/null
figure quorum-loss-sim "$work/sim/quorum-loss"

table constrained-election-sim "$faultline" sim constrained-election "${all_profiles[@]}" \
  --seeds 20
"$faultline" sim constrained-election "${all_profiles[@]}" --out "$work/sim" >/dev/null
figure constrained-election-sim "$work/sim/constrained-election"

# --- The atlas: every partial-connectivity topology of 3 and of 5 nodes -------------------
for n in 3 5; do
  table "atlas-$n" "$faultline" explore --nodes "$n" --seeds 10 --out "$work/atlas-$n"
  "$faultline" report "$work/atlas-$n" -o "$work/atlas-$n.html" --png "$work/atlas-$n-png" \
    >/dev/null
  cp "$work/atlas-$n-png/atlas-coverage.png" "$figures/atlas-$n-coverage.png"
  echo "results: $figures/atlas-$n-coverage.png"
done
# Every card of the 3-node atlas; the 5-node one has 330 cards (a 28,000-pixel-tall image),
# so it stays in the HTML report ($work/atlas-5.html) and its grid in docs/results/atlas-5.txt.
cp "$work/atlas-3-png/atlas-topologies.png" "$figures/atlas-3-topologies.png"

# --- Reality: the same scenarios on real clusters, next to the model ----------------------
if [[ ${RESULTS_LAB:-1} == 0 ]]; then
  echo "results: lab skipped (RESULTS_LAB=0)"
  exit 0
elif [[ $(id -u) -ne 0 ]]; then
  echo "results: lab skipped: it needs root (network namespaces, nftables)"
  exit 0
fi
"$faultline" lab clean >/dev/null 2>&1 || true
# The catalogue's cloudflare-2020 as the demo runs it, its one-way cut, its flapping link
# and the same cut on an idle cluster (chained), then the lab tests' shortened timelines
# (tests/lab/scenarios) for the others.
lab_compare() {
  local name=$1 scenario=$2
  table "$name-lab" "$faultline" compare "$scenario" --profile etcd-3.4 --profile etcd-3.5 \
    --system etcd --system faultline --out "$work/lab/$name"
  figure "$name-lab" "$work/lab/$name"
}
lab_compare cloudflare-2020 cloudflare-2020
lab_compare one-way one-way
lab_compare flapping-link flapping-link
lab_compare chained chained
table chained-lab-raft "$faultline" compare chained --profile raft --system faultline \
  --out "$work/lab/chained-raft"
# The deaf leader on faultline serve, for the profiles without CheckQuorum (etcd has no
# flag to turn it off): packets dropped by nftables, then messages dropped by its hooks.
for p in raft thesis-prevote; do
  table "deaf-leader-lab-$p" "$faultline" lab tests/lab/scenarios/deaf-leader.toml \
    --system faultline -p "$p"
  table "deaf-leader-lab-$p-loopback" "$faultline" lab tests/lab/scenarios/deaf-leader.toml \
    --system faultline -p "$p" --net loopback
done
for s in intermittent-full lossy-link leader-crash quorum-loss constrained-election; do
  lab_compare "$s" "tests/lab/scenarios/$s.toml"
done
# The two 5-node scenarios on faultline serve with the profiles etcd cannot run: quorum
# loss deadlocks PreVote without CheckQuorum only; constrained election deadlocks all.
for s in quorum-loss constrained-election; do
  table "$s-lab-faultline" "$faultline" compare "tests/lab/scenarios/$s.toml" --profile raft \
    --profile prevote --profile thesis-prevote --system faultline --out "$work/lab/$s-faultline"
done

# The atlas against real etcd: every 3-node case, and 30 of the 330 5-node cases spread
# over the model's verdicts, each run once on etcd 3.4 without and with --pre-vote (about
# 20 and 30 minutes).
table atlas-3-lab "$faultline" explore --nodes 3 --lab --out "$work/atlas-3-lab"
"$faultline" report "$work/atlas-3-lab" -o "$work/atlas-3-lab.html" --png "$work/atlas-3-lab-png" \
  >/dev/null
cp "$work/atlas-3-lab-png/atlas-topologies.png" "$figures/atlas-3-lab-topologies.png"
echo "results: $figures/atlas-3-lab-topologies.png"
table atlas-5-lab "$faultline" explore --nodes 5 --lab --sample 30 --duration 15s \
  --out "$work/atlas-5-lab"
# faultline serve on every 3-node case, textbook Raft included, on loopback (the transport's
# own cuts) and in namespaces (nftables, as for etcd): about 17 minutes each.
table atlas-3-lab-faultline "$faultline" explore --nodes 3 --lab --system faultline \
  --net loopback -p raft -p etcd-3.4 -p etcd-3.5 -p prevote --duration 10s \
  --out "$work/atlas-3-lab-faultline"
table atlas-3-lab-faultline-ns "$faultline" explore --nodes 3 --lab --system faultline \
  -p raft -p etcd-3.4 -p etcd-3.5 -p prevote --duration 10s \
  --out "$work/atlas-3-lab-faultline-ns"
