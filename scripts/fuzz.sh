#!/usr/bin/env bash
# Fuzzes faultline's untrusted inputs with libFuzzer (docs/fuzzing.md).
#   scripts/fuzz.sh                 # every target, 60 s each
#   scripts/fuzz.sh 600 peer_batch  # one target (or several), 600 s each
# Builds build-fuzz/ with Clang first (scripts/setup.sh --fuzz). Each target starts from its
# saved inputs in fuzz/corpus/<target> and keeps what it learns in build-fuzz/corpus/<target>;
# an input that breaks something lands in build-fuzz/findings/<target>/. Exit 1 if any did.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")

scripts/setup.sh --fuzz
if ((${#targets[@]} == 0)); then  # every target fuzz/CMakeLists.txt builds
  for bin in build-fuzz/fuzz/fuzz_*; do targets+=("${bin##*/fuzz_}"); done
fi
found=0
for t in "${targets[@]}"; do
  bin=build-fuzz/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "fuzz: no target '$t'" >&2; exit 2; }
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/findings/$t"
  extra=()
  [[ $t == scenario ]] && extra=(scenarios)
  # libFuzzer grows inputs up to 4 KiB unless told; the listener refuses a head over 16 KiB.
  [[ $t == http_request ]] && extra+=(-max_len=20000)
  log=build-fuzz/findings/$t.log
  echo "fuzz: $t for ${seconds}s (log: $log)"
  "$bin" "build-fuzz/corpus/$t" "fuzz/corpus/$t" "${extra[@]}" -max_total_time="$seconds" \
    -timeout=20 -rss_limit_mb=4096 -artifact_prefix="build-fuzz/findings/$t/" >"$log" 2>&1 &
  pid=$!
  status=0
  wait "$pid" || status=$?
  # A target's scratch folders (fuzz_support.h) outlive an input that crashed it, and the
  # input running when time was up.
  rm -rf /dev/shm/faultline-fuzz-*-"$pid" "${TMPDIR:-/tmp}"/faultline-fuzz-*-"$pid"
  if ((status == 0)); then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true
  else
    found=1
    echo "fuzz: $t FOUND something:" >&2
    grep -E 'property broken|ERROR|runtime error|what\(\)|SUMMARY' "$log" | head -5 >&2
    ls "build-fuzz/findings/$t" >&2
  fi
done
exit "$found"
