#!/bin/bash
# VNN-COMP: prepare_instance.sh v1 CATEGORY ONNX VNNLIB — nothing to convert (ONNX and VNN-LIB are read as
# they are); makes sure no verifier of an earlier instance is still running and that both files can be read.
set -uo pipefail
if [ "${1:-}" != "v1" ]; then echo "prepare_instance.sh: expected version v1, got '${1:-}'" >&2; exit 1; fi
if [ $# -ne 4 ]; then echo "usage: prepare_instance.sh v1 CATEGORY ONNX VNNLIB" >&2; exit 1; fi
pkill -KILL -f "boundflow verify" 2>/dev/null || true
for f in "$3" "$4"; do
  if [ ! -r "$f" ] && [ ! -r "$f.gz" ]; then echo "prepare_instance.sh: cannot read $f" >&2; exit 1; fi
done
exit 0
