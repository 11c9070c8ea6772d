#!/usr/bin/env bash
# Installs BoundFlow's build and test dependencies from Debian packages.
# Works on a bare Debian 12 that has only build-essential, git and ca-certificates
# (`make fresh-check` proves it). Idempotent: packages already present are skipped,
# so a warm machine pays nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler
  # oneDNN. Debian builds it with the OpenCL GPU runtime, so its CMake package
  # (dnnl-config.cmake) runs find_package(OpenCL REQUIRED): that needs the OpenCL
  # headers and libOpenCL.so from ocl-icd-opencl-dev, a Recommends of libdnnl-dev
  # that --no-install-recommends leaves out. We keep oneDNN's own exported target
  # (it carries the compile flags its headers expect) and install what it needs.
  libdnnl-dev ocl-icd-opencl-dev
  zlib1g-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  # COIN-OR CBC: mixed-integer programs refining ReLU split's root bounds (verify/mip_refine).
  coinor-libcbc-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # libFuzzer targets (`make fuzz`): clang, its runtime libraries and its OpenMP.
  clang libclang-rt-14-dev libomp-14-dev
  libonnx-testdata
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

# A fresh machine (or a minimal root) has an empty package index: refresh it first.
if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
  echo "setup: the apt package index is empty, running apt-get update"
  "${sudo_cmd[@]}" apt-get update -q
fi
# Otherwise try the index as it is (fast on a warm machine); refresh once if that fails.
if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
