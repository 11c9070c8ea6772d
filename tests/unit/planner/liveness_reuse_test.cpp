#include <gtest/gtest.h>

#include "planner/passes/buffer_reuse_pass.h"
#include "planner/passes/liveness_pass.h"
#include "planner/passes/plan_verifier.h"
#include "planner/planner.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

PlannerConfig config(std::int64_t min_tasks, bool reuse, ReusePolicy policy = ReusePolicy::Exact) {
  PlannerConfig c;
  c.min_tasks = min_tasks;
  c.enable_storage_reuse = reuse;
  c.reuse_policy = policy;
  c.verify = true;
  return c;
}

const BufferLifetime& life_of(const PlanBundle& b, const std::string& value) {
  return b.liveness->lifetimes[static_cast<std::size_t>(b.storage.buffer_of(*b.graph->find_value(value)))];
}

TEST(Liveness, OpLevelNotTaskLevel) {
  // One task holding all 7 ops: r0 (op 1) is last read by fc1 (op 2), not at the task's end.
  PlanBundle b = make_plan(test::mlp_chain(3, {16}), config(1, false));
  ASSERT_TRUE(b.liveness);
  EXPECT_EQ(life_of(b, "r0").producer_op, 1);
  EXPECT_EQ(life_of(b, "r0").last_use_op, 2);
  EXPECT_EQ(life_of(b, "r0").last_use_task, 0);
  // Inputs and outputs are pinned for the whole run.
  EXPECT_TRUE(life_of(b, "x").pinned);
  EXPECT_EQ(life_of(b, "x").producer_op, -1);
  EXPECT_EQ(life_of(b, "h3").producer_op, 6);
  EXPECT_EQ(life_of(b, "h3").live_begin, -1);
  EXPECT_EQ(life_of(b, "h3").live_end, 7);
  EXPECT_EQ(life_of(b, "r0").live_begin, 1);
  EXPECT_EQ(life_of(b, "r0").live_end, 2);
}

TEST(Liveness, LowerBoundIsPeakOfLiveBytes) {
  PlanBundle b = make_plan(test::mlp_chain(3, {16}), config(1, false));
  // Interval f32, batch 1, 64-byte alignment: x[1,8] -> 64 B, [1,16] -> 128 B, y[1,3] -> 64 B.
  // At fc1 (op 2): x, r0 (input), h1 (output), y (pinned) -> 64 + 128 + 128 + 64.
  EXPECT_EQ(b.liveness->lower_bound_bytes, 384);
  // The profile: fc0 (x, h0, y) = 256, then every later op but the last holds 384; fc3 reads r2, writes y.
  EXPECT_EQ(b.liveness->live_bytes_per_op, (std::vector<std::int64_t>{256, 384, 384, 384, 384, 384, 256}));
}

TEST(BufferReuse, ChainOfSixTasksShrinks) {
  auto g = test::mlp_chain(6, {32, 32});  // 13 ops
  PlanBundle off = make_plan(g, config(6, false));
  ASSERT_GE(off.task_graph.tasks.size(), 6u);
  for (ReusePolicy policy : {ReusePolicy::Exact, ReusePolicy::Size}) {
    PlanBundle on = make_plan(g, config(6, true, policy));
    EXPECT_LT(on.storage.num_physical_buffers(), off.storage.num_physical_buffers());
    EXPECT_LT(on.storage.physical_bytes(), off.storage.physical_bytes());
    EXPECT_GE(on.storage.physical_bytes(), on.liveness->lower_bound_bytes);
    ASSERT_TRUE(on.reuse_stats);
    EXPECT_GT(on.reuse_stats->hits, 0);
    EXPECT_EQ(on.reuse_stats->miss_reasons.at("pinned_input_output"), 2);
  }
}

TEST(BufferReuse, ExactPolicyOnlySharesIdenticalSpecs) {
  PlanBundle b = make_plan(test::mlp_chain(6, {32, 16}), config(1, true, ReusePolicy::Exact));
  const auto occupants = b.storage.occupants();
  for (const auto& occ : occupants) {
    for (BufferId l : occ) {
      EXPECT_TRUE(same_storage_key(b.storage.logical_buffers[static_cast<std::size_t>(l)],
                                   b.storage.logical_buffers[static_cast<std::size_t>(occ.front())]));
    }
  }
}

TEST(BufferReuse, SizePolicyBeatsExactOnMixedWidths) {
  auto g = test::mlp_chain(6, {64, 16, 48});
  PlanBundle exact = make_plan(g, config(1, true, ReusePolicy::Exact));
  PlanBundle size = make_plan(g, config(1, true, ReusePolicy::Size));
  EXPECT_LE(size.storage.physical_bytes(), exact.storage.physical_bytes());
  EXPECT_LT(size.storage.num_physical_buffers(), exact.storage.num_physical_buffers());
}

TEST(PlanVerifier, RejectsOverlappingBuffersSharingStorage) {
  PlanBundle b = make_plan(test::mlp_chain(6, {32, 32}), config(6, true));
  verify_plan(b);
  // h1 and r1 are alive together (relu1 reads h1 and writes r1): force them into one physical buffer.
  BufferId h1 = b.storage.buffer_of(*b.graph->find_value("h1"));
  BufferId r1 = b.storage.buffer_of(*b.graph->find_value("r1"));
  b.storage.logical_to_physical[static_cast<std::size_t>(r1)] = b.storage.to_physical(h1);
  try {
    verify_plan(b);
    FAIL() << "corrupted mapping accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("alive together"), std::string::npos) << e.what();
  }
}

TEST(PlanVerifier, RejectsSharedGraphInput) {
  PlanBundle b = make_plan(test::mlp_chain(6, {32, 32}), config(6, true, ReusePolicy::Size));
  BufferId x = b.storage.buffer_of(*b.graph->find_value("x"));
  BufferId h5 = b.storage.buffer_of(*b.graph->find_value("h5"));
  b.storage.logical_to_physical[static_cast<std::size_t>(h5)] = b.storage.to_physical(x);
  EXPECT_THROW(verify_plan(b), Error);
}

TEST(PlanVerifier, RejectsBrokenContract) {
  PlanBundle b = make_plan(test::mlp_chain(4, {8}), config(3, false));
  ASSERT_GE(b.task_graph.tasks.size(), 2u);
  b.task_graph.tasks[1].io.inputs.clear();
  EXPECT_THROW(verify_plan(b), Error);
  PlanBundle c = make_plan(test::mlp_chain(4, {8}), config(3, false));
  c.task_graph.edges.push_back({2, 1, c.task_graph.edges.front().buffer});
  EXPECT_THROW(verify_plan(c), Error);
}

TEST(PassPipeline, VerifierNamesThePassThatBrokeThePlan) {
  struct Corrupt final : PlannerPass {
    std::string name() const override { return "corrupt"; }
    void run(PlanBundle& b) override {
      b.storage.logical_to_physical.assign(b.storage.logical_buffers.size(), 0);
      b.storage.physical_buffers = {b.storage.logical_buffers[0]};
    }
  };
  PlanBundle b = make_plan(test::mlp_chain(3, {16}), config(2, false));
  PassPipeline p;
  p.add(std::make_unique<Corrupt>());
  try {
    p.run(b, true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("after pass corrupt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bf
