#!/usr/bin/env bash
# The main job: sets up, builds, and runs the cloudflare-2020 scenario on the profiles
# raft, etcd-3.4 and etcd-3.5, printing the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/src/cli/faultline demo
