// The compiled executor against the reference executor on hand-built graphs:
// every memory plan mode, lowering pass list and planner variant gives the
// same bounds (rtol 1e-5, atol 1e-5); DEFAULT allocates nothing after its first
// run; DISABLE_STATIC_PLAN allocates each tensor once per run; FORCE refuses
// what it cannot plan.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "methods/ibp_method.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "runtime/compiled/lowered_task.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

InputRegion region_for(const Graph& g, std::int64_t batch, double eps, std::uint32_t seed = 3) {
  const Shape& shape = g.type(g.inputs()[0]).shape;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<double> x0(static_cast<std::size_t>(batch * numel(shape)));
  for (auto& v : x0) v = d(rng);
  return linf_ball(x0, eps, shape, DType::F32);
}

void expect_close(const OutputBounds& ref, const OutputBounds& got, const std::string& what) {
  ASSERT_EQ(ref.lower.numel(), got.lower.numel()) << what;
  for (std::int64_t i = 0; i < ref.lower.numel(); ++i) {
    for (auto [r, g] : {std::pair{ref.lower.data<float>()[i], got.lower.data<float>()[i]},
                        std::pair{ref.upper.data<float>()[i], got.upper.data<float>()[i]}}) {
      ASSERT_NEAR(g, r, 1e-5 + 1e-5 * std::fabs(r)) << what << " element " << i;
    }
  }
}

struct Case {
  const char* name;
  std::shared_ptr<Graph> (*make)();
};

std::shared_ptr<Graph> mlp() { return test::mlp_chain(4, {32, 16}); }

class CompiledMatchesReference : public ::testing::TestWithParam<Case> {};

TEST_P(CompiledMatchesReference, AllModesAndVariants) {
  auto g = GetParam().make();
  for (std::int64_t batch : {1, 5}) {
    IbpRequest req;
    req.graph = g;
    req.region = region_for(*g, batch, 0.05);
    req.planner.min_tasks = 2;
    const auto ref = compute_ibp_reference(req).outputs[0];
    for (bool reuse : {false, true}) {
      for (MemoryPlanMode m : {MemoryPlanMode::Default, MemoryPlanMode::DisableStaticPlan}) {
        for (bool all_passes : {true, false}) {
          IbpRequest r = req;
          r.planner.enable_storage_reuse = reuse;
          r.planner.reuse_policy = ReusePolicy::Size;
          CompileOptions o;
          o.mode = m;
          if (!all_passes) o.lowering_passes = {"select_kernels", "prepare_weights", "plan_memory"};
          CompileCache cache;
          auto got = compute_ibp_compiled(r, o, cache);
          expect_close(ref, got.outputs[0],
                       fmt::format("{} batch {} reuse {} {} passes {}", GetParam().name, batch, reuse,
                                   memory_plan_mode_name(m), all_passes ? "all" : "required"));
          // Run again: same bits.
          auto second = got.program->run_bounds(r.region);
          EXPECT_TRUE(second[0].lower.bitwise_equal(got.outputs[0].lower));
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Graphs, CompiledMatchesReference,
                         ::testing::Values(Case{"mlp", &mlp}, Case{"conv", &test::conv_chain},
                                           Case{"residual", &test::residual_graph},
                                           Case{"mixed", &test::mixed_ops_graph}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CompiledExecutor, DefaultAllocatesNothingAfterTheFirstRun) {
  auto g = test::conv_chain();
  PlannerConfig c;
  c.min_tasks = 3;
  c.batch = 4;
  PlanBundle plan = make_plan(g, c);
  CompileCache cache;
  CompiledProgram p(plan, {}, cache);
  const InputRegion region = region_for(*g, 4, 0.1);
  CompiledRunStats first, later;
  p.run_bounds(region, &first);
  EXPECT_GT(first.memory.allocations, 0);
  for (int i = 0; i < 3; ++i) {
    p.run_bounds(region, &later);
    EXPECT_EQ(later.memory.allocations, 0);
    EXPECT_EQ(later.memory.releases, 0);
  }
  // Everything runs in one block: the program arena, which also holds the task arenas.
  EXPECT_EQ(later.memory.peak_bytes, p.compile_stats().program.arena_bytes);
  EXPECT_EQ(p.compile_stats().total.alloc_storage_count, 1);
  EXPECT_LE(p.compile_stats().program.arena_bytes,
            static_cast<std::int64_t>(1.15 * static_cast<double>(p.compile_stats().program.lower_bound_bytes)));
  for (const auto& t : p.compile_stats().tasks) {
    EXPECT_LE(t.memory.arena_bytes, static_cast<std::int64_t>(1.15 * static_cast<double>(t.memory.lower_bound_bytes)))
        << t.name;
  }
}

TEST(CompiledExecutor, DisableAllocatesEachTensorOncePerRun) {
  for (bool reuse : {false, true}) {
    auto g = test::conv_chain();
    PlannerConfig c;
    c.min_tasks = 3;
    c.enable_storage_reuse = reuse;
    c.reuse_policy = ReusePolicy::Size;
    PlanBundle plan = make_plan(g, c);
    CompileCache cache;
    CompileOptions o;
    o.mode = MemoryPlanMode::DisableStaticPlan;
    CompiledProgram p(plan, o, cache);
    CompiledRunStats s;
    for (int i = 0; i < 2; ++i) {
      p.run_bounds(region_for(*g, 1, 0.1), &s);
      EXPECT_EQ(s.memory.allocations, p.compile_stats().total.alloc_tensor_count) << reuse;
      EXPECT_EQ(s.memory.releases, s.memory.allocations);
      EXPECT_EQ(s.memory.live_bytes, 0);
    }
    EXPECT_EQ(p.compile_stats().total.arena_bytes, 0);
  }
}

TEST(CompiledExecutor, ForceStaticPlanRefusesAnUnplannableKernel) {
  auto g = test::mixed_ops_graph();
  PlanBundle plan = make_plan(g, PlannerConfig{});
  CompileCache cache;
  CompileOptions o;
  o.mode = MemoryPlanMode::ForceStaticPlan;
  try {
    CompiledProgram p(plan, o, cache);
    FAIL() << "FORCE_STATIC_PLAN compiled a kernel it cannot plan";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("FORCE_STATIC_PLAN"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gemm"), std::string::npos) << e.what();
  }
  // DEFAULT compiles it and says so.
  CompiledProgram p(plan, {}, cache);
  std::size_t unplanned = 0;
  for (const auto& t : p.compile_stats().tasks) unplanned += t.unplanned_kernels.size();
  EXPECT_EQ(unplanned, 1u);
  // A graph with only fast or plannable kernels compiles under FORCE.
  PlanBundle conv = make_plan(test::conv_chain(), PlannerConfig{});
  CompiledProgram forced(conv, o, cache);
  EXPECT_EQ(forced.compile_stats().mode, MemoryPlanMode::ForceStaticPlan);
}

// Every step kind says what its results serve (a rerun leaves out gradient
// and score steps by it); the dual sweep's steps serve gradients only.
TEST(CompiledExecutor, EveryStepKindHasAPurpose) {
  for (int k = 0; k <= static_cast<int>(StepKind::Score); ++k) {
    const auto kind = static_cast<StepKind>(k);
    EXPECT_NO_THROW(step_purpose(kind)) << step_kind_name(kind);
  }
  EXPECT_THROW(step_purpose(static_cast<StepKind>(static_cast<int>(StepKind::Score) + 1)), Error);
  for (StepKind k : {StepKind::DualSeed, StepKind::Dual, StepKind::DualSeedDense, StepKind::DualRelu,
                     StepKind::DualAffine, StepKind::DualView, StepKind::DualConv, StepKind::BetaGradient})
    EXPECT_EQ(step_purpose(k), StepPurpose::Gradients) << step_kind_name(k);
  EXPECT_EQ(step_purpose(StepKind::Score), StepPurpose::Scores);
  EXPECT_EQ(step_purpose(StepKind::BackwardReluAlpha), StepPurpose::Bounds);
  EXPECT_EQ(step_purpose(StepKind::Beta), StepPurpose::Bounds);
}

TEST(CompiledExecutor, LoweringPassListIsChecked) {
  PlanBundle plan = make_plan(test::conv_chain(), PlannerConfig{});
  CompileCache cache;
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {"select_kernels", "prepare_weights"},
           {"prepare_weights", "select_kernels", "plan_memory"},
           {"select_kernels", "prepare_weights", "fuse_activation", "plan_memory"},
           {"select_kernels", "inline_everything", "prepare_weights", "plan_memory"},
           {"select_kernels", "alias_views", "alias_views", "prepare_weights", "plan_memory"}}) {
    CompileOptions o;
    o.lowering_passes = bad;
    EXPECT_THROW(CompiledProgram(plan, o, cache), Error);
  }
  // Swapping the two optional rewrites is allowed.
  CompileOptions swapped;
  swapped.lowering_passes = {"select_kernels", "alias_views", "fuse_activation", "prepare_weights", "plan_memory"};
  CompiledProgram p(plan, swapped, cache);
  EXPECT_EQ(p.compile_stats().lowering_passes, swapped.lowering_passes);
}

// Found by review: with alias_views before fuse_activation, fusion must see that
// a view lives in its root's buffer. The planner (v0, exact reuse) puts R and Z in
// one physical buffer; X = Reshape(R) aliases R and is read by the Affine whose
// Relu writes Z: fusing them would write Z over X.
TEST(CompiledExecutor, AliasBeforeFuseKeepsViewsApart) {
  auto g = std::make_shared<Graph>();
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 0.3f);
  auto weight = [&](std::int64_t n, std::int64_t k, const char* name) {
    Tensor t(DType::F32, {n, k});
    for (std::int64_t i = 0; i < t.numel(); ++i) t.mutable_data<float>()[i] = dist(rng);
    return g->add_constant(name, t);
  };
  ValueId x = g->add_input("x", {DType::F32, {1, 64}});
  ValueId q = g->add_inferred_node(OpKind::Affine, "q", {}, {x, weight(64, 64, "wq")}, {"q"})[0];
  ValueId r = g->add_inferred_node(OpKind::Affine, "r", {}, {x, weight(64, 64, "wr")}, {"R"})[0];
  Attributes reshape;
  reshape.set("shape", std::vector<std::int64_t>{1, 64});
  ValueId xv = g->add_inferred_node(OpKind::Reshape, "view", reshape, {r}, {"X"})[0];
  ValueId w = g->add_inferred_node(OpKind::Affine, "w", {}, {q, weight(10, 64, "ww")}, {"w"})[0];
  ValueId y = g->add_inferred_node(OpKind::Affine, "y", {}, {xv, weight(64, 64, "wy")}, {"Y"})[0];
  ValueId z = g->add_inferred_node(OpKind::Relu, "z", {}, {y}, {"Z"})[0];
  ValueId o = g->add_inferred_node(OpKind::Affine, "o", {}, {z, weight(10, 64, "wo")}, {"o"})[0];
  ValueId out = g->add_inferred_node(OpKind::Add, "add", {}, {o, w}, {"out"})[0];
  g->add_output(out);
  IbpRequest req;
  req.graph = g;
  req.region = region_for(*g, 1, 0.1);
  req.planner.version = PlannerVersion::V0;
  req.planner.enable_storage_reuse = true;
  req.planner.reuse_policy = ReusePolicy::Exact;
  const auto ref = compute_ibp_reference(req).outputs[0];
  for (auto passes : std::vector<std::vector<std::string>>{
           {"select_kernels", "alias_views", "fuse_activation", "prepare_weights", "plan_memory"},
           {"select_kernels", "fuse_activation", "alias_views", "prepare_weights", "plan_memory"}}) {
    CompileOptions o2;
    o2.lowering_passes = passes;
    CompileCache cache;
    auto got = compute_ibp_compiled(req, o2, cache);
    expect_close(ref, got.outputs[0], passes[1]);
  }
}

// Three convolutions in a row: the two values between them stay NHWC
// (channels_last); the result is the same as with every value NCHW.
TEST(CompiledExecutor, ChannelsLastBetweenConvolutions) {
  auto g = std::make_shared<Graph>();
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 0.3f);
  auto weight = [&](Shape s, const std::string& name) {
    Tensor t(DType::F32, s);
    for (std::int64_t i = 0; i < t.numel(); ++i) t.mutable_data<float>()[i] = dist(rng);
    return g->add_constant(name, t);
  };
  const Attributes conv = test::conv2d_attrs(3, 1, 1);
  ValueId v = g->add_input("x", {DType::F32, {1, 3, 10, 9}});
  const std::int64_t channels[] = {3, 12, 5, 9};
  for (int i = 0; i < 3; ++i) {
    const std::string tag = std::to_string(i);
    v = g->add_inferred_node(
        OpKind::Conv, "conv" + tag, conv,
        {v, weight({channels[i + 1], channels[i], 3, 3}, "w" + tag), weight({channels[i + 1]}, "b" + tag)},
        {"c" + tag})[0];
    v = g->add_inferred_node(OpKind::Relu, "relu" + tag, {}, {v}, {"r" + tag})[0];
  }
  g->add_output(v);
  for (std::int64_t batch : {1, 7}) {
    IbpRequest req;
    req.graph = g;
    req.region = region_for(*g, batch, 0.05);
    const auto ref = compute_ibp_reference(req).outputs[0];
    CompileCache cache;
    auto got = compute_ibp_compiled(req, {}, cache);
    expect_close(ref, got.outputs[0], "channels_last batch " + std::to_string(batch));
    const auto& kernels = got.program->compile_stats().tasks[0].kernels;
    ASSERT_EQ(kernels.size(), 3u);
    EXPECT_NE(kernels[0].find("nchw->nhwc"), std::string::npos) << kernels[0];
    EXPECT_NE(kernels[1].find("nhwc->nhwc"), std::string::npos) << kernels[1];
    EXPECT_NE(kernels[2].find("nhwc->nchw"), std::string::npos) << kernels[2];
  }
}

TEST(CompiledExecutor, FusionAndAliasingShowInTheKernels) {
  PlanBundle plan = make_plan(test::conv_chain(), PlannerConfig{});
  CompileCache cache;
  CompiledProgram p(plan, {}, cache);
  const auto& kernels = p.compile_stats().tasks[0].kernels;
  // conv+relu fused, pool, flatten aliased, fc1+relu fused, fc2.
  ASSERT_EQ(kernels.size(), 5u);
  EXPECT_NE(kernels[0].find("interval_conv"), std::string::npos);
  EXPECT_NE(kernels[0].find("+relu"), std::string::npos);
  EXPECT_NE(kernels[2].find("alias[Flatten]"), std::string::npos);
  EXPECT_NE(kernels[3].find("interval_affine"), std::string::npos);
  EXPECT_NE(kernels[3].find("+relu"), std::string::npos);
}

}  // namespace
}  // namespace bf
