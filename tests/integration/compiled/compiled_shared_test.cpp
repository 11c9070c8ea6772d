// The compiled executor on every network in ../shared, at batch 1 and 64, in
// every memory plan mode, with planner reuse off and on:
//   - bounds match the reference executor (rtol 1e-5, atol 1e-5);
//   - DEFAULT: each task's arena (and the program arena) <= 1.15 x its lower
//     bound, and no allocation per run after the first;
//   - DISABLE_STATIC_PLAN: allocations per run == its tensor count;
//   - FORCE_STATIC_PLAN compiles (every kernel on these networks is plannable).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "methods/ibp_method.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "support/test_models.h"
#include "support/test_paths.h"

namespace bf {
namespace {

InputRegion region_for(const Graph& g, std::int64_t batch) {
  const Shape& shape = g.type(g.inputs()[0]).shape;
  std::mt19937 rng(21);
  std::uniform_real_distribution<double> d(0.0, 1.0);
  std::vector<double> x0(static_cast<std::size_t>(batch * numel(shape)));
  for (auto& v : x0) v = d(rng);
  return linf_ball(x0, 0.01, shape, DType::F32);
}

void expect_within(std::int64_t value, std::int64_t bound, const std::string& what) {
  EXPECT_LE(static_cast<double>(value), 1.15 * static_cast<double>(bound)) << what << ": " << value << " vs " << bound;
}

class CompiledShared : public ::testing::TestWithParam<std::string> {};

TEST_P(CompiledShared, MatchesReferenceInEveryMode) {
  const std::string path = GetParam();
  auto g = test::load_normalized(path);
  double worst_rel = 0.0;
  for (std::int64_t batch : {1, 64}) {
    IbpRequest req;
    req.graph = g;
    req.region = region_for(*g, batch);
    req.planner.min_tasks = 3;
    const IbpResult reference = compute_ibp_reference(req);
    const auto& ref = reference.outputs[0];
    for (const char* reuse : {"off", "size"}) {
      IbpRequest r = req;
      r.planner.enable_storage_reuse = std::string(reuse) != "off";
      r.planner.reuse_policy = ReusePolicy::Size;
      const PlanBundle plan = make_plan(graph_for_request(r), planner_config_for(r));
      for (MemoryPlanMode mode :
           {MemoryPlanMode::Default, MemoryPlanMode::DisableStaticPlan, MemoryPlanMode::ForceStaticPlan}) {
        const std::string what =
            fmt::format("{} b{} reuse {} {}", test::short_name(path), batch, reuse, memory_plan_mode_name(mode));
        CompileCache cache;
        CompileOptions options;
        options.mode = mode;
        CompiledProgram program(plan, options, cache);
        CompiledRunStats first, second;
        const auto got = program.run_bounds(r.region, &first);
        const auto again = program.run_bounds(r.region, &second);
        ASSERT_TRUE(again[0].lower.bitwise_equal(got[0].lower)) << what << ": second run differs";
        for (std::int64_t i = 0; i < ref.lower.numel(); ++i) {
          for (auto [a, b] : {std::pair{ref.lower.data<float>()[i], got[0].lower.data<float>()[i]},
                              std::pair{ref.upper.data<float>()[i], got[0].upper.data<float>()[i]}}) {
            ASSERT_NEAR(b, a, 1e-5 + 1e-5 * std::fabs(a)) << what << " element " << i;
            worst_rel = std::max(worst_rel, std::fabs(double(a) - b) / std::max(1e-5, std::fabs(double(a))));
          }
        }
        const CompileStats& cs = program.compile_stats();
        if (mode == MemoryPlanMode::DisableStaticPlan) {
          EXPECT_EQ(second.memory.allocations, cs.total.alloc_tensor_count) << what;
          EXPECT_EQ(cs.total.arena_bytes, 0) << what;
        } else {
          EXPECT_EQ(second.memory.allocations, 0) << what << ": allocated after the first run";
          for (const auto& t : cs.tasks) {
            expect_within(t.memory.arena_bytes, t.memory.lower_bound_bytes, what + " task " + t.name);
            EXPECT_TRUE(t.unplanned_kernels.empty()) << what;
          }
          expect_within(cs.program.arena_bytes, cs.program.lower_bound_bytes, what + " program");
        }
      }
    }
  }
  std::printf("%s: compiled vs reference, worst relative difference %.3g\n", test::short_name(path).c_str(), worst_rel);
}

INSTANTIATE_TEST_SUITE_P(Shared, CompiledShared, ::testing::ValuesIn(test::shared_networks()), [](const auto& info) {
  std::string s = test::short_name(info.param);
  for (auto& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
});

}  // namespace
}  // namespace bf
