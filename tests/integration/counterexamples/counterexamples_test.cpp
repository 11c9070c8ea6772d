// Whole-network forward semantics against VNN-COMP counterexamples: the Y values
// in ../shared/benchmarks/*/counterexamples were computed by onnxruntime from
// the X values, so running X through the imported network with run_forward (f32)
// must reproduce Y to a relative L-inf error of 1e-3.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "frontend/onnx/onnx_importer.h"
#include "runtime/forward_executor.h"
#include "support/test_paths.h"
#include "verify/counterexample.h"

namespace bf {
namespace {

namespace fs = std::filesystem;

constexpr double kMaxRelativeError = 1e-3;

// "x.onnx" / "x.onnx.gz" -> "x"; empty for other files.
std::string network_stem(const fs::path& p) {
  std::string name = p.filename().string();
  for (const char* ext : {".onnx.gz", ".onnx"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return name.substr(0, name.size() - e.size());
    }
  }
  return {};
}

// Counterexample files are named <net>_<prop>.counterexample[.gz]; the network
// lies in the same benchmark folder (onnx/, nets/ or the top level). The longest
// network name that prefixes the file name wins.
std::string find_network(const fs::path& benchmark, const std::string& cex_name) {
  std::string best, best_stem;
  for (const char* sub : {"onnx", "nets", "."}) {
    const fs::path dir = benchmark / sub;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string stem = network_stem(e.path());
      if (stem.empty() || stem.size() <= best_stem.size()) continue;
      if (cex_name.size() > stem.size() && cex_name.compare(0, stem.size(), stem) == 0 &&
          cex_name[stem.size()] == '_') {
        best = e.path().lexically_normal().string();
        best_stem = stem;
      }
    }
  }
  return best;
}

std::vector<fs::path> counterexample_files() {
  std::vector<fs::path> files;
  const fs::path root = fs::path(test::shared_dir()) / "benchmarks";
  if (!fs::is_directory(root)) return files;
  for (const auto& bench : fs::directory_iterator(root)) {
    const fs::path dir = bench.path() / "counterexamples";
    if (!fs::is_directory(dir)) continue;
    for (const auto& f : fs::directory_iterator(dir)) {
      if (f.path().filename().string().find(".counterexample") != std::string::npos) files.push_back(f.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ||y - Y||_inf / max(||Y||_inf, tiny)
double relative_linf_error(const std::vector<double>& y, const std::vector<double>& expected) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    diff = std::max(diff, std::abs(y[i] - expected[i]));
    scale = std::max(scale, std::abs(expected[i]));
  }
  return diff / std::max(scale, 1e-30);
}

TEST(Counterexamples, ForwardReproducesTheRecordedOutputs) {
  const auto files = counterexample_files();
  ASSERT_FALSE(files.empty()) << "no counterexamples under " << test::shared_dir() << "/benchmarks";
  int checked = 0;
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const fs::path benchmark = file.parent_path().parent_path();
    const std::string network = find_network(benchmark, name);
    if (network.empty()) {
      ADD_FAILURE() << name << ": no network in " << benchmark << " prefixes the file name";
      continue;
    }
    try {
      const Counterexample cex = read_counterexample(file.string());
      const Graph g = import_onnx(network);
      ASSERT_EQ(g.inputs().size(), 1u) << network;
      const TensorType& in = g.type(g.inputs()[0]);
      ASSERT_EQ(static_cast<std::int64_t>(cex.x.size()), in.numel()) << name << " vs input " << in.str();
      const auto y = run_forward(g, {Tensor::from_vector<double>(in.shape, cex.x)});
      ASSERT_EQ(y.size(), 1u) << network;
      const auto out = y[0].to_double_vector();
      ASSERT_EQ(out.size(), cex.y.size()) << name;
      const double err = relative_linf_error(out, cex.y);
      std::printf("%-90s rel. L-inf error %.3g\n", (benchmark.filename().string() + "/" + name).c_str(), err);
      EXPECT_LE(err, kMaxRelativeError) << name << " on " << network;
      ++checked;
    } catch (const Error& e) {
      ADD_FAILURE() << name << ": " << e.what();
    }
  }
  std::printf("%d of %zu counterexamples checked\n", checked, files.size());
}

}  // namespace
}  // namespace bf
