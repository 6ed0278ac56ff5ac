#!/usr/bin/env bash
# Fuzzes every reader of outside input with libFuzzer: the CSV reader, the wire decoder, the
# checkpoint and model-file readers, the job file.
#
#   Tests/Fuzz/run.sh [--seconds S | --runs N] [TARGET...]
#
# Builds dlfuzz for fuzzing (-sanitize=fuzzer, -D FUZZING, in .build/fuzz so the normal build is
# untouched), then runs each target (default: all) for S seconds (default 10) or N inputs, starting
# from the committed corpus (Tests/Fuzz/corpus/TARGET) and keeping what it finds in
# .build/fuzz/corpus/TARGET. An input that crashes is written to .build/fuzz/crashes/ and the script
# fails; add it to Tests/Fuzz/crashes/TARGET/ so the tests replay it from then on.
set -euo pipefail
cd "$(dirname "$0")/../.."

limit=(-max_total_time=10)
case "${1:-}" in
--seconds) limit=(-max_total_time="$2"); shift 2;;
--runs) limit=(-runs="$2"); shift 2;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv message checkpoint model job)

swift build -c release --scratch-path .build/fuzz --product dlfuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
binary=.build/fuzz/release/dlfuzz
mkdir -p .build/fuzz/crashes
for target in "${targets[@]}"; do
    found=.build/fuzz/corpus/$target
    mkdir -p "$found"
    echo "== $target: ${limit[*]}"
    # With the backtracer on, a crash would leave swift-backtrace holding the output open.
    SWIFT_BACKTRACE=enable=no "$binary" "$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix=.build/fuzz/crashes/"$target"- "$found" Tests/Fuzz/corpus/"$target"
done
