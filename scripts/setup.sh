#!/usr/bin/env bash
# Installs faultline's build dependencies (Debian 12 packages) and builds it.
#   scripts/setup.sh              # release build in build/
#   scripts/setup.sh --sanitize   # AddressSanitizer + UBSan build in build-asan/
#   scripts/setup.sh --fuzz       # the libFuzzer targets (Clang) in build-fuzz/ (docs/fuzzing.md)
# Idempotent: packages already present are not reinstalled; ccache keeps rebuilds quick.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libtomlplusplus-dev
  libasio-dev libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  librsvg2-dev fonts-dejavu-core
  etcd-server etcd-client nftables iproute2 jq
)
if [[ ${1:-} == --fuzz ]]; then packages+=(clang); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}; run as root (or install them) first" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=build
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ ${1:-} == --sanitize ]]; then
  build_dir=build-asan
  cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_SANITIZE=ON)
elif [[ ${1:-} == --fuzz ]]; then
  build_dir=build-fuzz
  export CC=clang CXX=clang++
  cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_FUZZ=ON -DFAULTLINE_TESTS=OFF)
fi
# Paths are made relative to the checkout and the build folder is not hashed, so a clean
# clone in another folder (CI) reuses what an earlier build on this machine compiled.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/faultline-ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export CCACHE_BASEDIR=$PWD
export CCACHE_NOHASHDIR=1
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
