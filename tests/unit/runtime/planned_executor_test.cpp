// The scheduler and the reference executor over plans: whatever the planner
// (v0/v2, min_tasks) and reuse policy, results are bit-identical; memory is
// released at last use and the observed peak matches the liveness analysis.
#include <gtest/gtest.h>

#include <random>

#include "planner/passes/liveness_pass.h"
#include "planner/planner.h"
#include "runtime/forward_executor.h"
#include "runtime/reference_executor.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

struct Variant {
  PlannerVersion version;
  std::int64_t min_tasks;
  bool reuse;
  ReusePolicy policy;
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  for (std::int64_t k : {1, 2, 4, 6}) {
    v.push_back({PlannerVersion::V2, k, false, ReusePolicy::Exact});
    v.push_back({PlannerVersion::V2, k, true, ReusePolicy::Exact});
    v.push_back({PlannerVersion::V2, k, true, ReusePolicy::Size});
  }
  v.push_back({PlannerVersion::V0, 1, false, ReusePolicy::Exact});
  return v;
}

PlannerConfig config_of(const Variant& v, PlanDomain domain, std::int64_t batch) {
  PlannerConfig c;
  c.version = v.version;
  c.min_tasks = v.min_tasks;
  c.enable_storage_reuse = v.reuse;
  c.reuse_policy = v.policy;
  c.domain = domain;
  c.batch = batch;
  c.verify = true;
  return c;
}

Tensor random_input(std::int64_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = d(rng);
  return Tensor::from_vector<float>({n}, v);
}

TEST(PlannedExecutor, ForwardMatchesReferenceBitwiseForEveryPlan) {
  auto g = test::mlp_chain(6, {32, 16, 24});
  for (std::int64_t batch : {1, 3}) {
    Tensor x = random_input(batch * 8, 11);
    ForwardOptions fo;
    fo.batch = batch;
    Tensor expected = run_forward(*g, {x}, fo)[0];
    for (const auto& v : variants()) {
      PlanBundle plan = make_plan(g, config_of(v, PlanDomain::Primal, batch));
      ReferenceExecutor ex(plan);
      Tensor got = ex.run_forward({x})[0];
      ASSERT_EQ(got.numel(), expected.numel());
      EXPECT_EQ(std::memcmp(got.raw_data(), expected.raw_data(), got.nbytes()), 0)
          << "v2 min_tasks " << v.min_tasks << " reuse " << v.reuse;
    }
  }
}

TEST(PlannedExecutor, IntervalBoundsBitwiseIdenticalAcrossPlansAndSound) {
  auto g = test::mlp_chain(6, {32, 16, 24});
  std::vector<double> x0(16);
  for (std::size_t i = 0; i < x0.size(); ++i) x0[i] = 0.1 * static_cast<double>(i % 7) - 0.3;
  InputRegion region = linf_ball(x0, 0.05, {1, 8}, DType::F32);  // batch 2
  std::vector<OutputBounds> first;
  for (const auto& v : variants()) {
    PlanBundle plan = make_plan(g, config_of(v, PlanDomain::Interval, 2));
    ReferenceExecutor ex(plan);
    auto bounds = ex.run_bounds(region);
    if (first.empty()) {
      first = bounds;
      continue;
    }
    EXPECT_TRUE(bounds[0].lower.bitwise_equal(first[0].lower)) << v.min_tasks << " " << v.reuse;
    EXPECT_TRUE(bounds[0].upper.bitwise_equal(first[0].upper)) << v.min_tasks << " " << v.reuse;
  }
  // Sampling: random points of the box go through the forward pass and stay inside.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  ForwardOptions fo;
  fo.batch = 2;
  for (int s = 0; s < 200; ++s) {
    Tensor x(DType::F32, {16});
    for (std::int64_t i = 0; i < 16; ++i) {
      const float l = region.lower.data<float>()[i], u = region.upper.data<float>()[i];
      x.mutable_data<float>()[i] = s % 2 ? (unit(rng) < 0.5f ? l : u) : l + (u - l) * unit(rng);
    }
    Tensor y = run_forward(*g, {x}, fo)[0];
    for (std::int64_t i = 0; i < y.numel(); ++i) {
      ASSERT_LE(first[0].lower.data<float>()[i], y.data<float>()[i]);
      ASSERT_GE(first[0].upper.data<float>()[i], y.data<float>()[i]);
    }
  }
}

TEST(PlannedExecutor, PeakEqualsLivenessLowerBoundWithoutReuse) {
  auto g = test::mlp_chain(6, {32, 16, 24});
  for (std::int64_t k : {1, 3, 6}) {
    PlanBundle plan =
        make_plan(g, config_of({PlannerVersion::V2, k, false, ReusePolicy::Exact}, PlanDomain::Interval, 1));
    ReferenceExecutor ex(plan);
    PlannedRunStats stats;
    ex.run_bounds(linf_ball(std::vector<double>(8, 0.5), 0.1, {1, 8}, DType::F32), &stats);
    EXPECT_EQ(stats.memory.peak_bytes, plan.liveness->lower_bound_bytes) << k;
    EXPECT_EQ(stats.memory.allocations, plan.storage.num_physical_buffers());
    EXPECT_EQ(stats.memory.releases, stats.memory.allocations);
    EXPECT_EQ(stats.memory.live_bytes, 0);
  }
}

TEST(PlannedExecutor, ReuseAllocatesEachPhysicalBufferOnce) {
  auto g = test::mlp_chain(6, {32, 16, 24});
  for (ReusePolicy policy : {ReusePolicy::Exact, ReusePolicy::Size}) {
    PlanBundle plan = make_plan(g, config_of({PlannerVersion::V2, 6, true, policy}, PlanDomain::Interval, 1));
    ReferenceExecutor ex(plan);
    PlannedRunStats stats;
    ex.run_bounds(linf_ball(std::vector<double>(8, 0.5), 0.1, {1, 8}, DType::F32), &stats);
    EXPECT_EQ(stats.memory.allocations, plan.storage.num_physical_buffers());
    EXPECT_LT(stats.memory.allocations, plan.storage.num_logical_buffers());
    EXPECT_GE(stats.memory.peak_bytes, plan.liveness->lower_bound_bytes);
    EXPECT_LE(stats.memory.peak_bytes, plan.storage.physical_bytes());
  }
}

TEST(PlannedExecutor, AliasingBugIsCaughtAtRunTime) {
  // a is read by n1 and n2; putting b (written by n1) into a's storage overwrites a
  // before n2 reads it. The verifier would reject this plan; the environment must too.
  auto g = test::residual_graph();
  PlanBundle plan = make_plan(g, config_of({PlannerVersion::V2, 1, true, ReusePolicy::Exact}, PlanDomain::Primal, 1));
  BufferId a = plan.storage.buffer_of(*g->find_value("a"));
  BufferId b = plan.storage.buffer_of(*g->find_value("b"));
  plan.storage.logical_to_physical[static_cast<std::size_t>(b)] = plan.storage.to_physical(a);
  ReferenceExecutor ex(plan);
  try {
    ex.run_forward({random_input(16, 3)});
    FAIL() << "aliasing not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("aliasing"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bf
