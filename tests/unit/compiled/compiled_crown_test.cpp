// CROWN on the compiled executor against the reference executor (which defines
// the semantics) on hand-built graphs covering every fast kernel and window
// case: MLPs (gathers, skipped zero columns), convolutions (windows, dense
// products, oneDNN on whole images, column products by position and by kernel
// offset), a residual join, pooling and padding,
// S-shaped activations. Every memory plan mode and reuse policy, batches 1 and
// 3, f32 and f64, all must agree (rtol/atol 1e-5); a chunked run (a small
// memory budget) must be bit-identical to an unchunked one; a budget too small
// for any plan fails with the smallest one that works.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "methods/bound_method.h"
#include "support/error.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

InputRegion region_for(const Graph& g, std::int64_t batch, double eps, DType dtype, std::uint32_t seed = 3) {
  const Shape& shape = g.type(g.inputs()[0]).shape;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<double> x0(static_cast<std::size_t>(batch * numel(shape)));
  for (auto& v : x0) v = d(rng);
  return linf_ball(x0, eps, shape, dtype);
}

void expect_close(const std::vector<OutputBounds>& ref, const std::vector<OutputBounds>& got, const std::string& what) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  for (std::size_t o = 0; o < ref.size(); ++o) {
    const auto rl = ref[o].lower.to_double_vector(), ru = ref[o].upper.to_double_vector();
    const auto gl = got[o].lower.to_double_vector(), gu = got[o].upper.to_double_vector();
    ASSERT_EQ(rl.size(), gl.size()) << what;
    for (std::size_t i = 0; i < rl.size(); ++i) {
      ASSERT_NEAR(gl[i], rl[i], 1e-5 + 1e-5 * std::fabs(rl[i])) << what << " value " << o << " lower " << i;
      ASSERT_NEAR(gu[i], ru[i], 1e-5 + 1e-5 * std::fabs(ru[i])) << what << " value " << o << " upper " << i;
    }
  }
}

void expect_bitwise(const std::vector<OutputBounds>& a, const std::vector<OutputBounds>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t o = 0; o < a.size(); ++o) {
    EXPECT_TRUE(a[o].lower.bitwise_equal(b[o].lower)) << what << " value " << o;
    EXPECT_TRUE(a[o].upper.bitwise_equal(b[o].upper)) << what << " value " << o;
  }
}

struct Case {
  const char* name;
  std::shared_ptr<Graph> (*make)();
  double eps;
};

std::shared_ptr<Graph> mlp() { return test::mlp_chain(3, {12, 9}); }

class CompiledCrown : public ::testing::TestWithParam<Case> {};

TEST_P(CompiledCrown, MatchesTheReferenceInEveryMode) {
  const Case& c = GetParam();
  auto g = c.make();
  for (const char* method : {"crown", "crown-ibp"}) {
    const auto m = make_bound_method(method);
    for (bool dense : {false, true}) {
      if (dense && std::string(method) != "crown") continue;
      for (DType dtype : {DType::F32, DType::F64}) {
        for (std::int64_t batch : {1, 3}) {
          BoundRequest req;
          req.graph = g;
          req.region = region_for(*g, batch, c.eps, dtype);
          req.dense_intermediates = dense;
          req.export_intermediates = true;
          req.executor = ExecutorKind::Reference;
          const BoundResult ref = m->compute(req);
          ASSERT_FALSE(ref.intermediates.empty());
          for (bool reuse : {false, true}) {
            for (MemoryPlanMode mode : {MemoryPlanMode::Default, MemoryPlanMode::DisableStaticPlan}) {
              BoundRequest r = req;
              r.executor = ExecutorKind::Compiled;
              r.planner.enable_storage_reuse = reuse;
              r.planner.reuse_policy = ReusePolicy::Size;
              r.compile.mode = mode;
              const std::string what = std::string(c.name) + " " + method + (dense ? " dense" : "") + " " +
                                       std::string(dtype_name(dtype)) + " b" + std::to_string(batch) +
                                       (reuse ? " reuse" : "") + " " + memory_plan_mode_name(mode);
              const BoundResult got = m->compute(r);
              expect_close(ref.outputs, got.outputs, what);
              expect_close(ref.intermediates, got.intermediates, what + " intermediates");
            }
          }
        }
      }
    }
  }
}

// Sweeps cut into chunks of a few rows give the same bits: each row's A is
// computed the same way whatever rows come with it (kernels/rowwise_gemm.h).
TEST_P(CompiledCrown, RowChunksGiveBitIdenticalBounds) {
  const Case& c = GetParam();
  auto g = c.make();
  const auto m = make_bound_method("crown");
  BoundRequest req;
  req.graph = g;
  req.region = region_for(*g, 5, c.eps, DType::F32);
  req.export_intermediates = true;
  req.chunk_cache_bytes = 0;  // whole sweeps (up to the row cap)
  const BoundResult whole = m->compute(req);
  for (std::int64_t rows : {1, 2, 7}) {
    BoundRequest chunked_req = req;
    chunked_req.max_rows_per_chunk = rows;
    // With storage reuse: what a sweep reads from before it (relaxations,
    // intervals) must outlive every chunk, not just the first.
    chunked_req.planner.enable_storage_reuse = rows != 2;
    chunked_req.planner.reuse_policy = ReusePolicy::Size;
    const BoundResult chunked = m->compute(chunked_req);
    ASSERT_EQ(chunked.chunking.batch, 5);
    bool smaller = false;
    for (const auto& [v, r] : chunked.chunking.rows_per_chunk) {
      EXPECT_LE(r, rows);
      smaller |= r < whole.chunking.rows_per_chunk.at(v);
    }
    EXPECT_TRUE(smaller) << "nothing was cut: the test compares nothing";
    const std::string what = std::string(c.name) + " rows " + std::to_string(rows);
    expect_bitwise(whole.outputs, chunked.outputs, what);
    expect_bitwise(whole.intermediates, chunked.intermediates, what + " intermediates");
  }
  // The cache-bytes cap (a chunk's buffers within a few rows' bytes) cuts the
  // same way: no row cap, the bytes decide.
  BoundRequest bytes_req = req;
  bytes_req.max_rows_per_chunk = std::int64_t{1} << 30;
  bytes_req.chunk_cache_bytes = 1;
  bytes_req.planner.enable_storage_reuse = true;
  bytes_req.planner.reuse_policy = ReusePolicy::Size;
  const BoundResult one_row = m->compute(bytes_req);
  for (const auto& [v, r] : one_row.chunking.rows_per_chunk) EXPECT_EQ(r, 1) << c.name << " sweep at value " << v;
  expect_bitwise(whole.outputs, one_row.outputs, std::string(c.name) + " cache-capped");
  expect_bitwise(whole.intermediates, one_row.intermediates, std::string(c.name) + " cache-capped intermediates");
}

// The smallest budget that works (bisected) cuts rows and the batch; the
// compiled program and the run stay under it, and the bounds are the
// uncapped run's, bit for bit (every kernel computes a sample's rows the same
// way whatever else runs beside them).
TEST_P(CompiledCrown, TheSmallestBudgetIsKeptAndGivesBitIdenticalBounds) {
  const Case& c = GetParam();
  auto g = c.make();
  const auto m = make_bound_method("crown");
  BoundRequest req;
  req.graph = g;
  req.region = region_for(*g, 5, c.eps, DType::F32);
  const BoundResult whole = m->compute(req);
  ASSERT_EQ(whole.chunking.batch, 5);
  BoundRequest tight = req;
  std::int64_t lo = 0, hi = whole.planned_bytes;  // lo fails (or is 0), hi works
  while (hi - lo > 64) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    tight.max_memory = mid;
    try {
      m->compute(tight);
      hi = mid;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is too small"), std::string::npos) << e.what();
      lo = mid;
    }
  }
  tight.max_memory = hi;
  const BoundResult chunked = m->compute(tight);
  EXPECT_LE(chunked.planned_bytes, tight.max_memory);
  EXPECT_LE(chunked.stats.memory.peak_bytes, tight.max_memory);
  bool smaller = chunked.chunking.batch < 5;
  for (const auto& [v, rows] : chunked.chunking.rows_per_chunk) smaller |= rows < whole.chunking.rows_per_chunk.at(v);
  EXPECT_TRUE(smaller) << "the budget did not cut anything: the test compares nothing";
  expect_bitwise(whole.outputs, chunked.outputs, std::string(c.name) + " smallest budget");
}

INSTANTIATE_TEST_SUITE_P(Graphs, CompiledCrown,
                         ::testing::Values(Case{"mlp", &mlp, 0.2}, Case{"conv_chain", &test::conv_chain, 0.1},
                                           Case{"residual_conv", &test::residual_conv, 0.1},
                                           Case{"wide_conv", &test::wide_conv, 0.05},
                                           Case{"s_shaped_mlp", &test::s_shaped_mlp, 0.3}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CompiledCrown, ABudgetTooSmallNamesTheSmallestThatWorks) {
  auto g = test::conv_chain();
  BoundRequest req;
  req.graph = g;
  req.region = region_for(*g, 2, 0.1, DType::F32);
  req.max_memory = 1000;
  try {
    make_bound_method("crown")->compute(req);
    FAIL() << "a 1000-byte budget was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--max-memory 1000 is too small"), std::string::npos) << msg;
    EXPECT_NE(msg.find("needs at least"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace bf
