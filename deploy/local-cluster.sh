#!/usr/bin/env bash
# Starts a coordinator and N workers on 127.0.0.1, each as its own process, the way they would run
# on separate machines: the workers first (they wait for the coordinator), then the coordinator.
# Usage: deploy/local-cluster.sh [N] [dlcoord options...]   (run after `swift build -c release`)
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${1:-4}
shift || true
bin=.build/release
port=${DLTRAIN_PORT:-5555}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for i in $(seq 1 "$workers"); do
    "$bin/dlworker" --connect "tcp://127.0.0.1:$port" --name "worker-$i" &
    pids+=($!)
done
"$bin/dlcoord" --workers "$workers" --bind "tcp://127.0.0.1:$port" "$@"
wait "${pids[@]}"
