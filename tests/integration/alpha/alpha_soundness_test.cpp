// Soundness by sampling for alpha-crown on every network in ../shared (as for
// the other methods: random points and box corners, f64 forward), on the
// outputs and on margin rows C·y.
#include <gtest/gtest.h>

#include <random>

#include "methods/bound_method.h"
#include "support/sampling.h"
#include "support/test_models.h"
#include "support/test_paths.h"

namespace bf {
namespace {

InputRegion region_for(const Graph& g, std::uint32_t seed) {
  const Shape& shape = g.type(g.inputs()[0]).shape;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(0.0, 1.0);
  std::vector<double> x0(static_cast<std::size_t>(numel(shape)));
  for (auto& v : x0) v = d(rng);
  return linf_ball(x0, x0.size() <= 8 ? 0.02 : 0.005, shape, DType::F32);
}

Tensor margin_spec(std::int64_t n_out) {
  const std::int64_t rows = std::max<std::int64_t>(1, n_out - 1);
  Tensor c(DType::F32, {rows, n_out});
  float* p = c.mutable_data<float>();
  for (std::int64_t r = 0; r < rows && n_out > 1; ++r) {
    p[r * n_out] = 1.0f;
    p[r * n_out + r + 1] = -1.0f;
  }
  if (n_out == 1) p[0] = 1.0f;
  return c;
}

class AlphaSoundness : public ::testing::TestWithParam<std::string> {};

TEST_P(AlphaSoundness, SamplesStayInsideTheBounds) {
  const std::string path = GetParam();
  auto g = test::load_normalized(path);
  const InputRegion region = region_for(*g, 29);
  const std::int64_t n_out = numel(g->type(g->outputs()[0]).shape);
  for (bool with_spec : {false, true}) {
    BoundRequest req;
    req.graph = g;
    req.region = region;
    req.alpha.iterations = 8;  // soundness does not depend on how far the optimisation went
    if (with_spec) req.spec = margin_spec(n_out);
    const BoundResult r = make_bound_method("alpha-crown")->compute(req);
    const std::string label = test::short_name(path) + (with_spec ? " alpha-crown margins" : " alpha-crown outputs");
    const auto report = test::expect_samples_inside(*g, region, r.outputs[0].lower.to_double_vector(),
                                                    r.outputs[0].upper.to_double_vector(), req.spec, label);
    std::printf("%s: %lld samples (%s corners) inside; closest approach %.3g\n", label.c_str(),
                static_cast<long long>(report.samples), report.all_corners ? "all" : "1000 random", report.closest);
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, AlphaSoundness, ::testing::ValuesIn(test::shared_networks()), [](const auto& info) {
  std::string s = test::short_name(info.param);
  for (auto& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
});

}  // namespace
}  // namespace bf
