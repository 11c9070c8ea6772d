#!/usr/bin/env bash
# The main job on the shipped example: import and normalise the network, run it,
# plan IBP with task partitioning and buffer reuse, and print certified bounds.
set -euo pipefail
boundflow=${1:-build/release/tools/boundflow/boundflow}
here=$(cd "$(dirname "$0")" && pwd)
model=$here/tiny_convnet.onnx
input=$here/tiny_convnet.input.json

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "Primal IR after normalisation (Gemm -> Affine)" "$boundflow" dump-ir --normalize "$model"
step "Reference forward pass at x0" "$boundflow" run "$model" --input "$input"
step "Plan: v2 partition into 3 tasks, size-policy buffer reuse" \
  "$boundflow" plan "$model" --min-tasks 3 --reuse size
step "The compiled executor's lowering of that plan: fused kernels, views, static memory plan" \
  "$boundflow" plan "$model" --min-tasks 3 --compiled
step "IBP bounds of the logits over the L-inf ball (eps from the input file), compiled executor" \
  "$boundflow" bounds "$model" --input "$input" --method ibp --min-tasks 3
step "The same bounds from the reference executor (it defines the semantics)" \
  "$boundflow" bounds "$model" --input "$input" --method ibp --executor reference
step "IBP bounds of the margins y2-y0, y2-y1 (spec fused into the last layer): both > 0 means robust" \
  "$boundflow" bounds "$model" --input "$input" --method ibp --spec "$here/tiny_convnet.spec.json" --fuse-spec
step "Four quadrants: planner reuse off/on x static memory plan off/on" \
  "$boundflow" bench static-plan "$model" --min-tasks 3 --iters 50
