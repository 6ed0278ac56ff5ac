#!/usr/bin/env bash
# Starts a coordinator and N workers on 127.0.0.1, each as its own process, the way they would run
# on separate machines: the workers first (they wait for the coordinator), then the coordinator.
# It runs where it is started: relative paths among the dlcoord options are the caller's.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/local-cluster.sh [N] [dlcoord options...]

Starts N workers (default 4) and a coordinator on 127.0.0.1, port $DLTRAIN_PORT (default 5555),
in the current directory; the dlcoord options go to the coordinator. Every process uses this
user's secret for loopback jobs (~/.dltrain/local-secret, made at the first run), so other users
of the machine cannot join; $DLTRAIN_SECRET_FILE, if set, is used instead.
The executables: $DLTRAIN_BIN, else this clone's .build/release (after `swift build -c release`),
else dlcoord and dlworker on PATH.
EOF
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
workers=${1:-4}
shift || true
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || { echo "local-cluster.sh: N must be a positive number, got '$workers' (see --help)" >&2; exit 2; }

clone_bin=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)/.build/release
if [ -n "${DLTRAIN_BIN:-}" ]; then
    bin=$DLTRAIN_BIN
elif [ -x "$clone_bin/dlcoord" ]; then
    bin=$clone_bin
elif command -v dlcoord >/dev/null; then
    # dlworker beside dlcoord's real file, as dlcoord --spawn finds it.
    bin=$(dirname "$(readlink -f "$(command -v dlcoord)")")
else
    echo "local-cluster.sh: no dlcoord: build it (swift build -c release), install it (deploy/install.sh) or set DLTRAIN_BIN" >&2
    exit 2
fi
for tool in dlcoord dlworker; do
    [ -x "$bin/$tool" ] || { echo "local-cluster.sh: no $tool in $bin (set DLTRAIN_BIN)" >&2; exit 2; }
done
port=${DLTRAIN_PORT:-5555}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for i in $(seq 1 "$workers"); do
    "$bin/dlworker" --connect "tcp://127.0.0.1:$port" --name "worker-$i" &
    pids+=($!)
done
"$bin/dlcoord" --workers "$workers" --bind "tcp://127.0.0.1:$port" "$@"
wait "${pids[@]}"
