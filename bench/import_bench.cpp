// Import speed: import_onnx on the largest shared networks, reported as time per
// import and as model megabytes per second (the figure to watch: import must stay
// linear in the model size; cnn_cifar.onnx holds 9 MB of weights). This used to
// be a wall-clock assertion in a test, where a loaded machine made it flaky.
//
//   build/release/bench/bf_bench_import [--benchmark_filter=cnn_cifar]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "frontend/onnx/onnx_importer.h"
#include "ir/graph.h"

namespace bf {
namespace {

void import_model(benchmark::State& state, const std::string& path) {
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(("missing " + path).c_str());
    return;
  }
  const auto bytes = static_cast<std::int64_t>(std::filesystem::file_size(path));
  for (auto _ : state) {
    Graph g = import_onnx(path);
    benchmark::DoNotOptimize(g.nodes().size());
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["model_MB"] = static_cast<double>(bytes) / 1e6;
}

const int registered = [] {
  const std::string shared = BF_SHARED_DIR;
  for (const char* rel :
       {"golden/cnn_cifar.onnx", "golden/mlp_256x6.onnx", "benchmarks/oval21/onnx/cifar_wide_kw.onnx.gz",
        "benchmarks/eran/nets/mnist_relu_9_200.onnx.gz", "benchmarks/test/test_nano.onnx"}) {
    const std::string path = shared + "/" + rel;
    benchmark::RegisterBenchmark(("import/" + std::string(rel)).c_str(), [path](benchmark::State& s) {
      import_model(s, path);
    })->Unit(benchmark::kMillisecond);
  }
  return 0;
}();

}  // namespace
}  // namespace bf

BENCHMARK_MAIN();
