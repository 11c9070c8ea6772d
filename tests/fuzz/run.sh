#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time from the committed seed corpus
# (tests/fuzz/corpus/<target>), growing a scratch corpus in the build folder.
# Usage: run.sh BUILD_DIR SECONDS_PER_TARGET. Fails on any crash, hang (10 s
# per input), leak, sanitizer report or memory past 2 GiB, printing its log.
set -euo pipefail
build="$1"
seconds="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
for target in vnnlib onnx; do
  work="$build/fuzz_corpus_$target"
  log="$build/fuzz_$target.log"
  mkdir -p "$work"
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$work" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz_$target: FAILED (log: $log)"
    exit 1
  fi
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz_$target: $runs inputs in ${seconds} s, no crash, hang or sanitizer report"
done
