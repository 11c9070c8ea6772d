#!/bin/bash
# VNN-COMP: install_tool.sh v1 — installs the dependencies (Debian packages) and builds BoundFlow.
set -euo pipefail
if [ "${1:-}" != "v1" ]; then echo "install_tool.sh: expected version v1, got '${1:-}'" >&2; exit 1; fi
cd "$(dirname "$0")/.."
make build
