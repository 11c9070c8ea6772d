// Every network in ../shared: IBP bounds are bit-identical between planner v0
// and v2 with reuse (either policy), and sound: 1,000 random points and the box
// corners (all of them when there are at most 1,024, else 1,000 random ones)
// pushed through the reference forward pass stay inside the bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "methods/ibp_method.h"
#include "runtime/forward_executor.h"
#include "support/test_models.h"
#include "support/test_paths.h"

namespace bf {
namespace {

class SharedNetwork : public ::testing::TestWithParam<std::string> {};

// A deterministic region per network: x0 uniform in [0, 1), eps 0.01 (0.02 for
// 1-D inputs, whose corners then matter).
InputRegion region_for(const Graph& g, std::uint32_t seed) {
  const Shape& shape = g.type(g.inputs()[0]).shape;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(0.0, 1.0);
  std::vector<double> x0(static_cast<std::size_t>(numel(shape)));
  for (auto& v : x0) v = d(rng);
  return linf_ball(x0, x0.size() <= 8 ? 0.02 : 0.01, shape, DType::F32);
}

IbpResult bounds_with(const std::shared_ptr<Graph>& g, const InputRegion& region, PlannerVersion v,
                      std::int64_t min_tasks, const char* reuse) {
  IbpRequest r;
  r.graph = g;
  r.region = region;
  r.planner.version = v;
  r.planner.min_tasks = min_tasks;
  r.planner.enable_storage_reuse = std::string(reuse) != "off";
  if (r.planner.enable_storage_reuse) r.planner.reuse_policy = parse_reuse_policy(reuse);
  r.planner.verify = true;
  return compute_ibp_reference(r);
}

TEST_P(SharedNetwork, PlansAgreeBitwiseAndBoundsAreSound) {
  const std::string path = GetParam();
  auto g = test::load_normalized(path);
  const InputRegion region = region_for(*g, 17);
  IbpResult v0 = bounds_with(g, region, PlannerVersion::V0, 1, "off");
  for (std::int64_t k : {2, 4, 8}) {
    for (const char* reuse : {"exact", "size"}) {
      IbpResult v2 = bounds_with(g, region, PlannerVersion::V2, k, reuse);
      ASSERT_TRUE(v2.outputs[0].lower.bitwise_equal(v0.outputs[0].lower)) << k << reuse;
      ASSERT_TRUE(v2.outputs[0].upper.bitwise_equal(v0.outputs[0].upper)) << k << reuse;
    }
  }

  const float* lo = v0.outputs[0].lower.data<float>();
  const float* hi = v0.outputs[0].upper.data<float>();
  const std::int64_t n_in = region.lower.numel();
  const std::int64_t n_out = v0.outputs[0].lower.numel();
  for (std::int64_t i = 0; i < n_out; ++i) ASSERT_TRUE(std::isfinite(lo[i]) && std::isfinite(hi[i]));

  std::mt19937 rng(99);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  const bool all_corners = n_in <= 10;
  const std::int64_t corners = all_corners ? (std::int64_t{1} << n_in) : 1000;
  const std::int64_t points = 1000 + corners;
  // All samples in one batched forward pass (chunks of 256).
  std::int64_t checked = 0;
  double closest = INFINITY;
  for (std::int64_t start = 0; start < points; start += 256) {
    const std::int64_t count = std::min<std::int64_t>(256, points - start);
    Tensor x(DType::F32, {count * n_in});
    float* xp = x.mutable_data<float>();
    for (std::int64_t s = 0; s < count; ++s) {
      const std::int64_t id = start + s;
      for (std::int64_t i = 0; i < n_in; ++i) {
        const float l = region.lower.data<float>()[i], u = region.upper.data<float>()[i];
        float v;
        if (id < 1000) {
          v = l + (u - l) * unit(rng);
          v = std::min(std::max(v, l), u);
        } else if (all_corners) {
          v = ((id - 1000) >> i) & 1 ? u : l;
        } else {
          v = unit(rng) < 0.5f ? l : u;
        }
        xp[s * n_in + i] = v;
      }
    }
    ForwardOptions fo;
    fo.batch = count;
    Tensor y = run_forward(*g, {x}, fo)[0];
    const float* yp = y.data<float>();
    for (std::int64_t s = 0; s < count; ++s) {
      for (std::int64_t i = 0; i < n_out; ++i) {
        const float v = yp[s * n_out + i];
        // Float32 rounding of the two computations (different summation orders) is
        // the only slack: a few ulps of the values involved.
        const float slack = 1e-6f * (1.0f + std::fabs(v));
        ASSERT_GE(v, lo[i] - slack) << test::short_name(path) << " sample " << start + s << " output " << i;
        ASSERT_LE(v, hi[i] + slack) << test::short_name(path) << " sample " << start + s << " output " << i;
        closest = std::min({closest, static_cast<double>(v - lo[i]), static_cast<double>(hi[i] - v)});
      }
      ++checked;
    }
  }
  std::printf("%s: %lld samples (%s corners) inside the IBP bounds; closest approach %.3g\n",
              test::short_name(path).c_str(), static_cast<long long>(checked), all_corners ? "all" : "1000 random",
              closest);
}

INSTANTIATE_TEST_SUITE_P(Shared, SharedNetwork, ::testing::ValuesIn(test::shared_networks()), [](const auto& info) {
  std::string s = test::short_name(info.param);
  for (auto& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
});

}  // namespace
}  // namespace bf
