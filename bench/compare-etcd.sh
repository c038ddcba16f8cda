#!/usr/bin/env bash
# faultline against Debian's etcd 3.4 on this machine, in one run and with the same
# settings: a 3-node cluster on loopback (data directories on the same disk, fsync on,
# heartbeat 100 ms, election timeout 1000 ms), driven by `faultline bench` at the leader:
#   puts/s, p50, p99 with 1 client and with 64 clients, and each node's resident memory
#   (VmRSS) after at least 100,000 puts of 256-byte values (PUTS; more when the timed runs
#   did more), next to the floor this machine allows
#   (a 4 KiB append + fdatasync on the same disk, a loopback TCP round trip).
#   Each row also shows the load average, and the nodes' and the bench client's CPU time per
#   put at 64 clients; with both systems, the ratio of puts/s at 64 clients pair by pair.
#
#   bench/compare-etcd.sh                      # both systems, one table
#   SYSTEMS=etcd bench/compare-etcd.sh         # one system only
#   SYSTEMS="faultline etcd faultline etcd" ... # each twice, alternating (one row each)
#   DURATION=20s PUTS=100000 FAULTLINE=build/src/cli/faultline bench/compare-etcd.sh
#   KEEP=1 bench/compare-etcd.sh               # keep the work folder (logs, JSON) for a look
#
# Installs etcd-server, etcd-client and jq if missing (as root) and builds faultline with
# scripts/setup.sh if there is no binary. Everything it starts is killed by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEMS=${SYSTEMS:-"faultline etcd"}
DURATION=${DURATION:-10s}
PUTS=${PUTS:-100000}
VALUE_SIZE=256
KEY_SPACE=100000
HEARTBEAT_MS=100
ELECTION_MS=1000
FAULTLINE=${FAULTLINE:-build/src/cli/faultline}

# --- what it needs -----------------------------------------------------------------------
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v jq >/dev/null || need+=(jq)
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "compare-etcd: missing ${need[*]}; run as root or install them" >&2
    exit 2
  fi
  echo "compare-etcd: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [[ ! -x $FAULTLINE ]]; then
  echo "compare-etcd: no $FAULTLINE; building it with scripts/setup.sh" >&2
  scripts/setup.sh >&2
fi
FAULTLINE=$(realpath "$FAULTLINE")

# --- clean-up: every process we start is killed by its PID ----------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/faultline-compare.XXXXXX")
started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${started_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n ${KEEP:-} ]]; then echo "compare-etcd: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A random free port on 127.0.0.1, never one handed out before in this run (in REPLY).
taken=" "
free_port() {
  local port tries
  for ((tries = 0; tries < 500; tries++)); do
    port=$((20000 + RANDOM % 40000))
    [[ $taken == *" $port "* ]] && continue
    if [[ -z $(ss -Htln "sport = :$port") ]]; then
      taken+="$port "
      REPLY=$port
      return 0
    fi
  done
  echo "compare-etcd: no free port found" >&2
  return 1
}

# Starts a 3-node cluster of $1 (faultline | etcd) in folder $2; sets endpoints, node_pids.
start_cluster() {
  local system=$1 dir=$2 cluster="" i
  local -a peer client
  mkdir -p "$dir"
  for i in 1 2 3; do
    free_port; peer[i]=$REPLY
    free_port; client[i]=$REPLY
    cluster+="${cluster:+,}n$i=http://127.0.0.1:${peer[i]}"
  done
  local token="compare-$system-$$"  # one token for the whole cluster (etcd's trap)
  endpoints=""
  node_pids=()
  for i in 1 2 3; do
    endpoints+="${endpoints:+,}127.0.0.1:${client[i]}"
    local -a flags=(--name "n$i" --data-dir "$dir/n$i"
      --listen-peer-urls "http://127.0.0.1:${peer[i]}"
      --initial-advertise-peer-urls "http://127.0.0.1:${peer[i]}"
      --listen-client-urls "http://127.0.0.1:${client[i]}"
      --advertise-client-urls "http://127.0.0.1:${client[i]}"
      --initial-cluster "$cluster" --initial-cluster-token "$token"
      --initial-cluster-state new
      --heartbeat-interval "$HEARTBEAT_MS" --election-timeout "$ELECTION_MS")
    if [[ $system == etcd ]]; then
      etcd "${flags[@]}" --logger zap --log-outputs stderr >"$dir/n$i.log" 2>&1 &
    else
      "$FAULTLINE" serve "${flags[@]}" >"$dir/n$i.log" 2>&1 &
    fi
    node_pids+=($!)
    started_pids+=($!)
  done
  # Ready when a put through the leader succeeds; at most 30 s.
  local deadline=$((SECONDS + 30)) pid
  until "$FAULTLINE" bench --endpoints "$endpoints" --leader-only --total 1 --timeout 2s \
      --key-prefix ready/ >/dev/null 2>&1; do
    for pid in "${node_pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "compare-etcd: a $system node exited during start-up; its log:" >&2
        tail -n 20 "$dir"/n*.log >&2
        return 1
      fi
    done
    if ((SECONDS > deadline)); then
      echo "compare-etcd: $system did not elect a leader within 30 s" >&2
      tail -n 20 "$dir"/n*.log >&2
      return 1
    fi
    sleep 0.3
  done
}

# CPU time (user + system, in clock ticks) used so far by the cluster's nodes together.
cpu_ticks() {
  local pid total=0
  for pid in "${node_pids[@]}"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

stop_cluster() {
  local pid
  for pid in "${node_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

bench() {
  "$FAULTLINE" bench --endpoints "$endpoints" --leader-only --json --op put \
    --value-size "$VALUE_SIZE" --key-space "$KEY_SPACE" "$@"
}

# Runs the whole comparison on one system; appends its row to $work/rows.
measurements=0
measure() {
  local system=$1 dir=$work/$1-$((++measurements))
  local label=$system
  [[ $system == etcd ]] && label="etcd $(etcd --version | awk '/etcd Version/ {print $3}')"
  echo "compare-etcd: $label: starting a 3-node cluster" >&2
  start_cluster "$system" "$dir"

  echo "compare-etcd: $label: 1 client for $DURATION" >&2
  bench --clients 1 --conns 1 --duration "$DURATION" --floor "$dir" >"$dir/one.json"
  echo "compare-etcd: $label: 64 clients for $DURATION" >&2
  local load cpu_before cpu_after
  load=$(cut -d' ' -f1 /proc/loadavg)
  cpu_before=$(cpu_ticks)
  bench --clients 64 --conns 8 --duration "$DURATION" --seed 2 >"$dir/many.json"
  cpu_after=$(cpu_ticks)
  local done_puts rest
  done_puts=$(jq -s 'map(.summary.writes_ok) | add' "$dir/one.json" "$dir/many.json")
  rest=$((PUTS - done_puts))
  if ((rest > 0)); then
    echo "compare-etcd: $label: $rest more puts, to $PUTS in all" >&2
    bench --clients 64 --conns 8 --total "$rest" --timeout 5s --seed 3 >"$dir/fill.json"
    done_puts=$((done_puts + $(jq '.summary.writes_ok' "$dir/fill.json")))
  fi
  sleep 1  # let the followers apply the last entries before reading memory
  local rss=() pid
  for pid in "${node_pids[@]}"; do
    rss+=("$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")")
  done
  stop_cluster

  jq -r --arg name "$label" --arg rss "${rss[*]}" --arg load "$load" --arg puts "$done_puts" \
    --argjson cpu "$(((cpu_after - cpu_before) * 1000000 / $(getconf CLK_TCK)))" -s '
    def ms: . / 10 | round / 100 | tostring;
    .[0].summary as $one | .[1].summary as $many |
    [$name, $load,
     ($one.ok_per_second | floor | tostring), ($one.latency_us.p50 | ms), ($one.latency_us.p99 | ms),
     ($many.ok_per_second | floor | tostring), ($many.latency_us.p50 | ms), ($many.latency_us.p99 | ms),
     ($cpu / ([$many.writes_ok, 1] | max) | round | tostring),
     (.[1].client_cpu_us / ([$many.writes_ok, 1] | max) | round | tostring),
     $puts, ($rss | split(" ") | map(tonumber) | max | tostring), $rss] | @tsv' \
    "$dir/one.json" "$dir/many.json" >>"$work/rows"
  # The disk's fdatasync time moves a lot from minute to minute on a shared machine, so the
  # floor is measured right before each system's 1-client run and printed next to it.
  jq -r --arg name "$label" '.floor |
    def ms: . / 10 | round / 100 | tostring;
    "floor before \($name) @1: 4 KiB append + fdatasync in the data folder p50" +
    " \(.fdatasync_4k.p50_us) us, p99 \(.fdatasync_4k.p99_us) us alone, p50" +
    " \(.fdatasync_4k_shared.p50_us) us, p99 \(.fdatasync_4k_shared.p99_us) us with" +
    " \(.shared_writers) writers at once (the 3 nodes share this disk); loopback TCP round trip" +
    " p50 \(.loopback_rtt.p50_us) us, p99 \(.loopback_rtt.p99_us) us; a 1-client put needs" +
    " at least one fdatasync + two round trips = \((.fdatasync_4k.p50_us +
      2 * .loopback_rtt.p50_us) | ms) ms alone, \((.fdatasync_4k_shared.p50_us +
      2 * .loopback_rtt.p50_us) | ms) ms with the nodes syncing at once"' "$dir/one.json" >>"$work/floors"
}

# --- the run ---------------------------------------------------------------------------------
echo "compare-etcd: work folder $work on $(df --output=source "$work" | tail -1)" >&2
for system in $SYSTEMS; do
  case $system in
    faultline | etcd) measure "$system" ;;
    *) echo "compare-etcd: unknown system '$system' (faultline | etcd)" >&2; exit 2 ;;
  esac
done

echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
  "kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "each system: 3 nodes on 127.0.0.1, fsync on, heartbeat ${HEARTBEAT_MS} ms, election" \
  "${ELECTION_MS} ms; puts of ${VALUE_SIZE}-byte values on ${KEY_SPACE} keys, sent to the leader;" \
  "@1: 1 client, @64: 64 clients over 8 connections, ${DURATION} each;" \
  "load: the 1-minute load average as @64 started; node CPU: user + system time of the" \
  "3 nodes together during @64, per successful put; bench CPU: the same for the bench client"
echo
{
  printf 'system\tload\tputs/s @1\tp50 ms\tp99 ms\tputs/s @64\tp50 ms\tp99 ms\tnode CPU us/put @64\tbench CPU us/put @64\tputs in all\tRSS MiB after them (max node)\tper node\n'
  cat "$work/rows"
} | column -t -s $'\t' -o ' | '
# The i-th faultline row against the i-th etcd row: the ratio the issue's target is about.
awk -F'\t' '$1 == "faultline" {f[++nf] = $6} $1 ~ /^etcd/ {e[++ne] = $6}
  END {
    n = nf < ne ? nf : ne
    if (n == 0) exit
    line = "faultline / etcd puts/s @64, row by row:"
    for (i = 1; i <= n; i++) {
      line = line sprintf(" %.2fx", f[i] / e[i]); sf += f[i]; se += e[i]
    }
    printf "\n%s; over all %d pairs: %.2fx\n", line, n, sf / se
  }' "$work/rows"
echo
cat "$work/floors"
