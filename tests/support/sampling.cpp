#include "support/sampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/forward_executor.h"

namespace bf::test {

SamplingReport expect_samples_inside(const Graph& graph, const InputRegion& region, const std::vector<double>& lower,
                                     const std::vector<double>& upper, const std::optional<Tensor>& spec,
                                     const std::string& label, int points, double rel_slack) {
  SamplingReport report;
  report.closest = INFINITY;
  const std::int64_t n_in = numel(region.shape);
  const std::int64_t n_out = numel(graph.type(graph.outputs()[0]).shape);
  const std::vector<double> c = spec ? spec->to_double_vector() : std::vector<double>{};
  const std::int64_t rows = spec ? spec->shape()[0] : n_out;
  const auto box_lo = region.lower.to_double_vector(), box_hi = region.upper.to_double_vector();
  EXPECT_EQ(static_cast<std::int64_t>(lower.size()), region.batch * rows) << label;
  if (static_cast<std::int64_t>(lower.size()) != region.batch * rows) return report;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    EXPECT_TRUE(std::isfinite(lower[i]) && std::isfinite(upper[i])) << label << " bound " << i << " not finite";
  }
  report.all_corners = n_in <= 10;
  const std::int64_t corners = report.all_corners ? (std::int64_t{1} << n_in) : points;
  const std::int64_t per_box = points + corners;
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  constexpr std::int64_t kChunk = 256;
  for (std::int64_t b = 0; b < region.batch; ++b) {
    const double* lo_in = box_lo.data() + b * n_in;
    const double* hi_in = box_hi.data() + b * n_in;
    for (std::int64_t start = 0; start < per_box; start += kChunk) {
      const std::int64_t count = std::min(kChunk, per_box - start);
      Tensor x(DType::F64, {count * n_in});
      double* xp = x.mutable_data<double>();
      for (std::int64_t s = 0; s < count; ++s) {
        const std::int64_t id = start + s;
        for (std::int64_t i = 0; i < n_in; ++i) {
          double v;
          if (id < points) {
            v = std::clamp(lo_in[i] + (hi_in[i] - lo_in[i]) * unit(rng), lo_in[i], hi_in[i]);
          } else if (report.all_corners) {
            v = ((id - points) >> i) & 1 ? hi_in[i] : lo_in[i];
          } else {
            v = unit(rng) < 0.5 ? lo_in[i] : hi_in[i];
          }
          xp[s * n_in + i] = v;
        }
      }
      ForwardOptions fo;
      fo.batch = count;
      fo.compute = DType::F64;
      const std::vector<double> y = run_forward(graph, {x}, fo)[0].to_double_vector();
      for (std::int64_t s = 0; s < count; ++s) {
        for (std::int64_t r = 0; r < rows; ++r) {
          double v = 0.0;
          if (spec) {
            for (std::int64_t j = 0; j < n_out; ++j)
              v += c[static_cast<std::size_t>(r * n_out + j)] * y[static_cast<std::size_t>(s * n_out + j)];
          } else {
            v = y[static_cast<std::size_t>(s * n_out + r)];
          }
          const double lo = lower[static_cast<std::size_t>(b * rows + r)],
                       hi = upper[static_cast<std::size_t>(b * rows + r)];
          const double slack = rel_slack * (1.0 + std::fabs(v));
          if (v < lo - slack || v > hi + slack) {
            ADD_FAILURE() << label << ": box " << b << " sample " << start + s << " row " << r << " value " << v
                          << " outside [" << lo << ", " << hi << "]";
            return report;
          }
          report.closest = std::min({report.closest, v - lo, hi - v});
        }
        ++report.samples;
      }
    }
  }
  return report;
}

}  // namespace bf::test
