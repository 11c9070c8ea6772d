#include "bench_common.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "support/error.h"
#include "support/json_io.h"

namespace bf::bench {

TimingSummary summarize(std::vector<double> t) {
  TimingSummary s;
  if (t.empty()) return s;
  std::sort(t.begin(), t.end());
  s.avg_ms = std::accumulate(t.begin(), t.end(), 0.0) / static_cast<double>(t.size());
  auto pct = [&](double p) {
    const double pos = p * static_cast<double>(t.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, t.size() - 1);
    return t[lo] + (t[hi] - t[lo]) * (pos - static_cast<double>(lo));
  };
  s.p50_ms = pct(0.5);
  s.p95_ms = pct(0.95);
  s.min_ms = t.front();
  return s;
}

InputRegion bench_region(const Graph& graph, std::int64_t batch, double eps, const std::string& input_file,
                         std::uint32_t seed) {
  BF_CHECK(graph.inputs().size() == 1, ErrorKind::Unsupported, "benchmarks need single-input networks");
  const Shape& shape = graph.type(graph.inputs()[0]).shape;
  std::vector<double> x0;
  if (!input_file.empty()) {
    nlohmann::json j = read_json_file(input_file);
    const nlohmann::json& values = j.is_object() ? j.at("x0") : j;
    x0 = values.get<std::vector<double>>();
    if (eps < 0 && j.is_object() && j.contains("eps")) eps = j["eps"].get<double>();
    const auto per_sample = static_cast<std::size_t>(numel(shape));
    // Repeat or cut the given samples to the requested batch.
    std::vector<double> out;
    for (std::int64_t b = 0; b < batch; ++b) {
      const std::size_t src = static_cast<std::size_t>(b) % (x0.size() / per_sample);
      out.insert(out.end(), x0.begin() + static_cast<std::ptrdiff_t>(src * per_sample),
                 x0.begin() + static_cast<std::ptrdiff_t>((src + 1) * per_sample));
    }
    x0 = std::move(out);
  } else {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> d(0.0, 1.0);
    x0.resize(static_cast<std::size_t>(batch * numel(shape)));
    for (auto& v : x0) v = d(rng);
  }
  return linf_ball(x0, eps < 0 ? 0.01 : eps, shape, DType::F32);
}

Difference bound_difference(const std::vector<OutputBounds>& a, const std::vector<OutputBounds>& b) {
  Difference d;
  BF_CHECK(a.size() == b.size(), ErrorKind::Internal, "comparing {} outputs with {}", a.size(), b.size());
  for (std::size_t o = 0; o < a.size(); ++o) {
    for (const auto& [x, y] : {std::pair{&a[o].lower, &b[o].lower}, std::pair{&a[o].upper, &b[o].upper}}) {
      auto xv = x->to_double_vector(), yv = y->to_double_vector();
      BF_CHECK(xv.size() == yv.size(), ErrorKind::Internal, "bound sizes differ");
      for (std::size_t i = 0; i < xv.size(); ++i) {
        const double diff = std::fabs(xv[i] - yv[i]);
        d.max_abs = std::max(d.max_abs, diff);
        d.max_rel = std::max(d.max_rel, diff / std::max(std::fabs(xv[i]), 1e-12));
        d.tolerance_ratio = std::max(d.tolerance_ratio, diff / (1e-5 + 1e-5 * std::fabs(xv[i])));
      }
    }
  }
  return d;
}

std::string model_label(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace bf::bench
