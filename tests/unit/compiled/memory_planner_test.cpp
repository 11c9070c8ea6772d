#include "runtime/compiled/memory_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "support/error.h"

namespace bf {
namespace {

TEST(MemoryPlanner, GreedyReusesWhatLinearCannot) {
  for (const char* name : {"greedy", "linear"}) {
    auto p = make_memory_planner(name);
    p->add_buffer(1000, 0, 1);  // a chain: each buffer alive for two steps
    p->add_buffer(500, 1, 2);
    p->add_buffer(1000, 2, 3);
    p->add_buffer(200, 3, 4);
    p->check_no_overlap();
    EXPECT_EQ(p->lower_bound_bytes(), 1024 + 512);
    if (std::string(name) == "greedy") {
      EXPECT_EQ(p->arena_bytes(), 1024 + 512);
    } else {
      EXPECT_EQ(p->arena_bytes(), 1024 + 512 + 1024 + 256);
    }
  }
}

TEST(MemoryPlanner, PlacesIntoSpaceFreedEarlier) {
  GreedyMemoryPlanner p;
  // Placed largest first; the last one reuses the range of two that died at step 2.
  p.add_buffer(1024, 0, 10);  // id 0 at 0
  p.add_buffer(512, 0, 2);    // id 1 at 1024
  p.add_buffer(256, 0, 2);    // id 2 at 1536
  p.add_buffer(256, 3, 10);   // alive only with id 0: lands at the first free offset, 1024
  p.check_no_overlap();
  EXPECT_EQ(p.offset(0), 0);
  EXPECT_EQ(p.offset(1), 1024);
  EXPECT_EQ(p.offset(2), 1536);
  EXPECT_EQ(p.offset(3), 1024);
  EXPECT_EQ(p.arena_bytes(), 1792);
}

TEST(MemoryPlanner, BestFitChoosesTheTightestGap) {
  GreedyMemoryPlanner p;
  p.add_buffer(2048, 0, 9);  // 0: [0, 2048)
  p.add_buffer(1024, 0, 1);  // 1: [2048, 3072), dies early
  p.add_buffer(512, 0, 9);   // 2: [3072, 3584)
  p.add_buffer(256, 0, 1);   // 3: [3584, 3840), dies early
  p.add_buffer(128, 0, 9);   // 4: [3840, 3968)
  p.add_buffer(64, 5, 9);    // 5: gaps [2048, 3072) and [3584, 3840): best fit is the 256-byte one
  p.check_no_overlap();
  EXPECT_EQ(p.offset(1), 2048);
  EXPECT_EQ(p.offset(3), 3584);
  EXPECT_EQ(p.offset(5), 3584);
}

TEST(MemoryPlanner, RandomProblemsNeverOverlapAndStayNearTheLowerBound) {
  std::mt19937 rng(7);
  double worst = 0, sum = 0;
  for (int trial = 0; trial < 200; ++trial) {
    GreedyMemoryPlanner p;
    std::uniform_int_distribution<int> n(1, 30), size(1, 5000), start(0, 40), len(0, 6);
    for (int i = n(rng); i > 0; --i) {
      int s = start(rng);
      p.add_buffer(size(rng), s, s + len(rng));
    }
    p.check_no_overlap();
    const double ratio = static_cast<double>(p.arena_bytes()) / static_cast<double>(p.lower_bound_bytes());
    worst = std::max(worst, ratio);
    sum += ratio;
  }
  std::printf("greedy arena / live-set lower bound over 200 random problems: mean %.3f, worst %.3f\n", sum / 200,
              worst);
  EXPECT_LE(worst, 1.25);      // measured 1.188
  EXPECT_LE(sum / 200, 1.05);  // measured 1.004
}

TEST(MemoryPlanner, OverlapSelfCheckCatchesACorruptPlan) {
  class Broken final : public MemoryPlanner {
   public:
    std::string name() const override { return "broken"; }

   protected:
    void place(std::vector<PlannedBuffer>& buffers) const override {
      for (auto& b : buffers) b.offset = 0;  // everything at the same place
    }
  };
  Broken p;
  p.add_buffer(64, 0, 1);
  p.add_buffer(64, 1, 2);
  EXPECT_THROW(p.check_no_overlap(), Error);
}

TEST(MemoryPlanner, DeterministicAndUnknownNameFails) {
  auto a = make_memory_planner("greedy"), b = make_memory_planner("greedy");
  for (auto* p : {a.get(), b.get()}) {
    p->add_buffer(300, 0, 3);
    p->add_buffer(300, 1, 2);
    p->add_buffer(100, 2, 5);
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a->offset(i), b->offset(i));
  EXPECT_THROW(make_memory_planner("magic"), Error);
}

}  // namespace
}  // namespace bf
