#!/usr/bin/env bash
# Fuzzes every reader of outside input with libFuzzer: the CSV reader, the wire decoder, the
# checkpoint and model-file readers, the job file.
#
#   Tests/Fuzz/run.sh [--seconds S | --runs N] [TARGET...]
#
# Builds dlfuzz for fuzzing (-sanitize=fuzzer, -D FUZZING, in .build/fuzz so the normal build is
# untouched), then runs each target (default: all) for N inputs, or for S seconds (default 10)
# times the target's weight: 1 for csv and message, 6 for model and checkpoint, 3 for job. Those
# three mutate decoded fields and run what they accept end to end, so each input goes deeper and
# costs more: on the readers before their checks they found the reported traps within 20 to 80 s
# and a step of -5 within 3 minutes (docs/security.md). Each starts from the committed corpus
# (Tests/Fuzz/corpus/TARGET) and the inputs that once crashed (Tests/Fuzz/crashes/TARGET), and
# keeps what it finds in .build/fuzz/corpus/TARGET. An input that crashes is written to
# .build/fuzz/crashes/ and the script fails; add it to Tests/Fuzz/crashes/TARGET/ so the tests
# replay it from then on.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=10 runs=
case "${1:-}" in
--seconds) seconds=$2; shift 2;;
--runs) runs=$2; shift 2;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv message checkpoint model job)

swift build -c release --scratch-path .build/fuzz --product dlfuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
binary=.build/fuzz/release/dlfuzz
mkdir -p .build/fuzz/crashes
for target in "${targets[@]}"; do
    case $target in
    model | checkpoint) weight=6;;
    job) weight=3;;
    *) weight=1;;
    esac
    limit=(-max_total_time=$((seconds * weight)))
    [ -z "$runs" ] || limit=(-runs="$runs")
    found=.build/fuzz/corpus/$target
    mkdir -p "$found"
    seeds=(Tests/Fuzz/corpus/"$target")
    [ ! -d Tests/Fuzz/crashes/"$target" ] || seeds+=(Tests/Fuzz/crashes/"$target")
    echo "== $target: ${limit[*]}"
    # With the backtracer on, a crash would leave swift-backtrace holding the output open.
    SWIFT_BACKTRACE=enable=no "$binary" "$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix=.build/fuzz/crashes/"$target"- "$found" "${seeds[@]}"
done
