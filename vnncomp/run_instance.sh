#!/bin/bash
# VNN-COMP: run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT — writes the verdict (and a
# counterexample for sat) to RESULTS, always, within TIMEOUT seconds: boundflow stops itself a little
# before the limit; if it were still running a few seconds after it, it is killed with its whole process
# group and `timeout` is written.
set -uo pipefail
if [ "${1:-}" != "v1" ]; then echo "run_instance.sh: expected version v1, got '${1:-}'" >&2; exit 1; fi
if [ $# -ne 6 ]; then echo "usage: run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT" >&2; exit 1; fi
ONNX="$3"; VNNLIB="$4"; RESULTS="$5"; TIMEOUT="$6"
# BOUNDFLOW_BIN overrides the binary (tests run the one of their build).
BIN="${BOUNDFLOW_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/release/tools/boundflow/boundflow}"
rm -f "$RESULTS"
timeout --kill-after=2 "$(awk -v t="$TIMEOUT" 'BEGIN { print t + 3 }')" \
  "$BIN" verify "$ONNX" "$VNNLIB" --timeout "$TIMEOUT" --result "$RESULTS" --quiet > /dev/null
status=$?
if [ ! -s "$RESULTS" ]; then
  if [ $status -eq 124 ] || [ $status -eq 137 ]; then echo timeout > "$RESULTS"; else echo error > "$RESULTS"; fi
fi
exit 0
