#!/usr/bin/env bash
# The main job on the shipped examples: verify a VNN-LIB property on two ACAS Xu
# networks (one holds: unsat; one has a counterexample: sat), then the
# compiler's views of a small conv net: import and normalisation, a forward
# pass, the plan, the compiled lowering, IBP / CROWN / alpha-CROWN bounds.
set -euo pipefail
boundflow=${1:-build/release/tools/boundflow/boundflow}
here=$(cd "$(dirname "$0")" && pwd)
model=$here/tiny_convnet.onnx
input=$here/tiny_convnet.input.json

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "Verify ACAS Xu property 3 on a network where it holds" \
  "$boundflow" verify "$here/acasxu_unsat.onnx" "$here/acasxu_prop3.vnnlib" --timeout 60
step "Verify it on a network where it fails: sat, with a counterexample re-checked in f64" \
  "$boundflow" verify "$here/acasxu_sat.onnx" "$here/acasxu_prop3.vnnlib" --timeout 60
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
step "CROWN bounds of the same margins: backward linear bounds, tighter than IBP" \
  "$boundflow" bounds "$model" --input "$input" --method crown --spec "$here/tiny_convnet.spec.json"
step "alpha-CROWN: CROWN with optimised relaxations, never looser" \
  "$boundflow" bounds "$model" --input "$input" --method alpha-crown --spec "$here/tiny_convnet.spec.json"
step "Four quadrants: planner reuse off/on x static memory plan off/on" \
  "$boundflow" bench static-plan "$model" --min-tasks 3 --iters 50
