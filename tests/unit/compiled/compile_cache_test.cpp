// The compile cache keys on everything that changes code or memory: modes
// never share an entry, a changed shape misses, identical requests hit.
#include "runtime/compiled/compile_cache.h"

#include <gtest/gtest.h>

#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "support/golden_text.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

PlanBundle plan_of(std::shared_ptr<Graph> g, std::int64_t batch, std::int64_t min_tasks = 2, bool reuse = false,
                   ReusePolicy policy = ReusePolicy::Exact) {
  PlannerConfig c;
  c.min_tasks = min_tasks;
  c.batch = batch;
  c.enable_storage_reuse = reuse;
  c.reuse_policy = policy;
  return make_plan(std::move(g), c);
}

CompileOptions mode(MemoryPlanMode m) {
  CompileOptions o;
  o.mode = m;
  return o;
}

TEST(CompileCache, ModesNeverShareAnEntry) {
  auto g = test::conv_chain();
  PlanBundle plan = plan_of(g, 1);
  CompileCache cache;
  std::set<std::uint64_t> keys;
  for (MemoryPlanMode m :
       {MemoryPlanMode::Default, MemoryPlanMode::DisableStaticPlan, MemoryPlanMode::ForceStaticPlan}) {
    CompiledProgram p(plan, mode(m), cache);
    EXPECT_EQ(p.compile_stats().cache_hits, 0) << memory_plan_mode_name(m);
    EXPECT_EQ(p.compile_stats().cache_misses, static_cast<std::int64_t>(plan.task_graph.tasks.size()));
    for (const auto& t : p.compile_stats().tasks) EXPECT_TRUE(keys.insert(t.key).second);
  }
  EXPECT_EQ(cache.size(), 3 * plan.task_graph.tasks.size());
  // The same request again: every task hits, nothing is compiled.
  CompiledProgram again(plan, mode(MemoryPlanMode::Default), cache);
  EXPECT_EQ(again.compile_stats().cache_hits, static_cast<std::int64_t>(plan.task_graph.tasks.size()));
  EXPECT_EQ(again.compile_stats().cache_misses, 0);
}

TEST(CompileCache, ChangedShapeMisses) {
  auto g = test::conv_chain();
  CompileCache cache;
  PlanBundle b1 = plan_of(g, 1);
  PlanBundle b4 = plan_of(g, 4);  // batch changes every activation's storage shape
  CompiledProgram p1(b1, mode(MemoryPlanMode::Default), cache);
  CompiledProgram p4(b4, mode(MemoryPlanMode::Default), cache);
  EXPECT_EQ(p4.compile_stats().cache_hits, 0);
  // A graph whose input shape differs misses too.
  auto g2 = test::mlp_chain(2, {16}, 8);
  auto g3 = test::mlp_chain(2, {16}, 9);
  PlanBundle a = plan_of(g2, 1), b = plan_of(g3, 1);
  CompiledProgram pa(a, mode(MemoryPlanMode::Default), cache);
  CompiledProgram pb(b, mode(MemoryPlanMode::Default), cache);
  EXPECT_EQ(pb.compile_stats().cache_hits, 0);
}

TEST(CompileCache, EveryOptionIsPartOfTheKey) {
  auto g = test::conv_chain();
  PlanBundle plan = plan_of(g, 1);
  CompileCache cache;
  CompiledProgram base(plan, mode(MemoryPlanMode::Default), cache);
  CompileOptions no_fuse = mode(MemoryPlanMode::Default);
  no_fuse.lowering_passes = {"select_kernels", "alias_views", "prepare_weights", "plan_memory"};
  CompiledProgram p1(plan, no_fuse, cache);
  EXPECT_EQ(p1.compile_stats().cache_hits, 0);
  CompileOptions linear = mode(MemoryPlanMode::Default);
  linear.memory_planner = "linear";
  CompiledProgram p2(plan, linear, cache);
  EXPECT_EQ(p2.compile_stats().cache_hits, 0);
  PlanBundle reused = plan_of(g, 1, 2, true, ReusePolicy::Size);
  CompiledProgram p3(reused, mode(MemoryPlanMode::Default), cache);
  EXPECT_EQ(p3.compile_stats().cache_hits, 0);
  PlannerConfig f64;
  f64.min_tasks = 2;
  f64.dtype = DType::F64;
  PlanBundle plan64 = make_plan(g, f64);
  CompiledProgram p4(plan64, mode(MemoryPlanMode::Default), cache);
  EXPECT_EQ(p4.compile_stats().cache_hits, 0);
}

TEST(CompileCache, KeysAreStableAcrossIdenticalPlans) {
  auto g = test::conv_chain();
  PlanBundle a = plan_of(g, 2), b = plan_of(g, 2);
  CompileCache ca, cb;
  CompiledProgram pa(a, mode(MemoryPlanMode::Default), ca);
  CompiledProgram pb(b, mode(MemoryPlanMode::Default), cb);
  ASSERT_EQ(pa.compile_stats().tasks.size(), pb.compile_stats().tasks.size());
  for (std::size_t i = 0; i < pa.compile_stats().tasks.size(); ++i) {
    EXPECT_EQ(pa.compile_stats().tasks[i].key, pb.compile_stats().tasks[i].key);
  }
}

// The lowering dump (steps, kernels, memory plan), pinned by a golden file. An
// MLP: its kernels are ours (AVX2 gemv), while oneDNN's convolutions name the
// ISA they picked at run time, which differs between machines.
TEST(CompileCache, LoweringDumpMatchesItsGoldenFile) {
  auto g = test::mlp_chain(3, {32, 16});
  PlanBundle a = plan_of(g, 2), b = plan_of(g, 2);
  CompileCache ca, cb;
  CompiledProgram pa(a, mode(MemoryPlanMode::Default), ca);
  CompiledProgram pb(b, mode(MemoryPlanMode::Default), cb);
  EXPECT_EQ(compiled_to_text(pa), compiled_to_text(pb));
  test::expect_golden_text(compiled_to_text(pa), "compiled/mlp_chain3_k2_default.txt");
}

}  // namespace
}  // namespace bf
