# Entry points for a fresh machine: `make demo` and `make test` (see README.md).
# Each installs what is missing (scripts/setup.sh), configures and builds.

RELEASE_DIR := build/release
ASAN_DIR    := build/asan
FUZZ_DIR    := build/fuzz
FUZZ_SECONDS ?= 45
BOUNDFLOW   := $(RELEASE_DIR)/tools/boundflow/boundflow
CTEST_JOBS  ?= 2

.PHONY: all setup build build-asan build-fuzz demo test test-release test-asan fuzz fresh-check clean

all: build

setup:
	bash scripts/setup.sh

build: setup
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(RELEASE_DIR)

# ASan + UBSan build of the libraries and unit tests only (what CI runs sanitized).
build-asan: setup
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBF_SANITIZE=ON -DBF_BUILD_BENCH=OFF
	cmake --build $(ASAN_DIR) --target bf_unit_tests

# libFuzzer targets for the readers of outside input (VNN-LIB, ONNX), built with
# clang, ASan and UBSan; `fuzz` runs each FUZZ_SECONDS from tests/fuzz/corpus.
build-fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBF_FUZZ=ON \
	  -DBF_BUILD_TESTS=OFF -DBF_BUILD_BENCH=OFF
	cmake --build $(FUZZ_DIR) --target fuzz_vnnlib fuzz_onnx

fuzz: build-fuzz
	bash tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

demo: build
	bash examples/demo.sh $(BOUNDFLOW)

test-release: build
	ctest --test-dir $(RELEASE_DIR) --output-on-failure -j $(CTEST_JOBS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_DIR) -L unit --output-on-failure -j $(CTEST_JOBS)

test: test-release test-asan fuzz

# For contributors (CI does not run it): README's two commands in a clean Debian 12
# root (mmdebstrap: build-essential, git, ca-certificates only) on a clean clone of
# HEAD, with ../shared beside it. Run it whenever setup.sh, CMake files or
# dependencies change.
fresh-check:
	bash scripts/fresh_check.sh

clean:
	rm -rf build
