#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "planner/lower_to_tasks.h"
#include "planner/plan_dump.h"
#include "planner/planner.h"
#include "support/golden_text.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

PlannerConfig v2(std::int64_t min_tasks) {
  PlannerConfig c;
  c.version = PlannerVersion::V2;
  c.min_tasks = min_tasks;
  c.verify = true;
  return c;
}

TEST(Partition, V0IsOneTask) {
  PlannerConfig c;
  c.version = PlannerVersion::V0;
  PlanBundle b = make_plan(test::mlp_chain(3, {16}), c);
  ASSERT_EQ(b.task_graph.tasks.size(), 1u);
  EXPECT_EQ(b.task_graph.tasks[0].ops.size(), 7u);
  EXPECT_TRUE(b.task_graph.edges.empty());
}

TEST(Partition, V2HonoursMinTasksAndMaxOps) {
  auto g = test::mlp_chain(5, {16});  // 11 ops
  for (std::int64_t k : {1, 2, 4, 8, 11, 40}) {
    PlanBundle b = make_plan(g, v2(k));
    EXPECT_EQ(static_cast<std::int64_t>(b.task_graph.tasks.size()), std::min<std::int64_t>(k, 11)) << k;
    EXPECT_EQ(b.task_graph.num_ops(), 11);
  }
  PlannerConfig c = v2(1);
  c.max_ops_per_task = 3;
  PlanBundle b = make_plan(g, c);
  EXPECT_EQ(b.task_graph.tasks.size(), 4u);
  for (const auto& t : b.task_graph.tasks) EXPECT_LE(t.ops.size(), 3u);
}

TEST(Partition, ChainEdgesCarryOneBufferEach) {
  PlanBundle b = make_plan(test::mlp_chain(5, {16}), v2(4));
  ASSERT_EQ(b.task_graph.tasks.size(), 4u);
  EXPECT_EQ(b.task_graph.edges.size(), 3u);
  for (const auto& t : b.task_graph.tasks) {
    if (t.id > 0) {
      EXPECT_EQ(t.io.inputs.size(), 1u);
    }
    EXPECT_EQ(t.io.outputs.size(), 1u);
  }
}

TEST(Partition, BalancedPrefersCutsWhereOneBufferCrosses) {
  auto g = test::residual_graph();
  std::vector<std::int64_t> crossing = cut_crossings(*g);
  // After n0: a crosses (read by n1 and n2) -> 1; after n1: a, b -> 2; after n2: c -> 1; after n3: d -> 1;
  // after n4: d, e -> 2; after n5: f -> 1.
  EXPECT_EQ(crossing, (std::vector<std::int64_t>{1, 2, 1, 1, 2, 1}));
  PlanBundle b = make_plan(g, v2(2));
  ASSERT_EQ(b.task_graph.tasks.size(), 2u);
  // 7 ops, ideal 3.5: cuts after n2 (3|4) and after n3 (4|3) both cross one buffer; the earliest wins.
  EXPECT_EQ(b.task_graph.tasks[0].ops.size(), 3u);
  EXPECT_EQ(b.task_graph.tasks[1].io.inputs.size(), 1u);
}

TEST(Partition, LayerPolicyCutsAfterActivations) {
  PlannerConfig c = v2(1);
  c.partition_policy = PartitionPolicy::Layer;
  PlanBundle b = make_plan(test::mlp_chain(3, {16}), c);
  ASSERT_EQ(b.task_graph.tasks.size(), 4u);  // fc0 relu0 | fc1 relu1 | fc2 relu2 | fc3
  EXPECT_EQ(b.task_graph.tasks[3].ops.size(), 1u);
}

// Same plan, same bytes; and the bytes are pinned by golden files, so a dump
// format that drifts is caught too.
TEST(Partition, DumpsAreByteIdenticalAndMatchTheirGoldenFiles) {
  PlannerConfig c = v2(3);
  c.enable_storage_reuse = true;
  c.reuse_policy = ReusePolicy::Size;
  std::string a = plan_to_json(make_plan(test::mlp_chain(6, {32, 16}), c)).dump(2);
  std::string b = plan_to_json(make_plan(test::mlp_chain(6, {32, 16}), c)).dump(2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(plan_to_text(make_plan(test::mlp_chain(6, {32, 16}), c)),
            plan_to_text(make_plan(test::mlp_chain(6, {32, 16}), c)));
  auto j = nlohmann::json::parse(a);
  EXPECT_TRUE(j["storage_plan"].contains("logical_buffers"));
  EXPECT_TRUE(j["storage_plan"].contains("physical_buffers"));
  EXPECT_TRUE(j["storage_plan"].contains("lower_bound_bytes"));
  EXPECT_EQ(j["config"]["min_tasks"], 3);
  test::expect_golden_text(a + "\n", "planner/mlp_chain6_v2_k3_size.json");
  test::expect_golden_text(plan_to_text(make_plan(test::mlp_chain(6, {32, 16}), c)),
                           "planner/mlp_chain6_v2_k3_size.txt");
}

TEST(Partition, BadOptionsFailLoudly) {
  PlannerConfig c = v2(0);
  EXPECT_THROW(make_plan(test::mlp_chain(2, {4}), c), Error);
  EXPECT_THROW(parse_reuse_policy("greedy"), Error);
}

}  // namespace
}  // namespace bf
