// Shared pieces of the end-to-end benchmarks behind `boundflow bench`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bound/input_region.h"
#include "ir/graph.h"
#include "runtime/reference_executor.h"

namespace bf::bench {

struct TimingSummary {
  double avg_ms = 0.0;
  double p50_ms = 0.0;
  double p95_ms = 0.0;
  double min_ms = 0.0;
};
TimingSummary summarize(std::vector<double> times_ms);

// A deterministic region for a model: `batch` samples of x0 uniform in [0, 1)
// (seeded) with radius eps, or x0 (and eps, unless given) from an input file.
InputRegion bench_region(const Graph& graph, std::int64_t batch, double eps, const std::string& input_file,
                         std::uint32_t seed);

struct Difference {
  double max_abs = 0.0;
  double max_rel = 0.0;  // |a - b| / |a|: large where bounds are near zero
  // max |a - b| / (atol + rtol |a|) with atol = rtol = 1e-5: <= 1 means the two agree
  // within the tolerance the acceptance tests use.
  double tolerance_ratio = 0.0;
};
// Largest differences between two sets of bounds (both planes).
Difference bound_difference(const std::vector<OutputBounds>& a, const std::vector<OutputBounds>& b);

// "mlp_256x2.onnx" from a path.
std::string model_label(const std::string& path);

}  // namespace bf::bench
