// CROWN's memory on real networks:
//   - every shared network: the compiled CROWN program in DEFAULT mode puts
//     each task's arena (and the program arena holding the A matrices) within
//     1.15 x its lower bound (the most bytes alive at once), with planner
//     reuse off and on;
//   - golden networks at batch 64: a run capped at half the uncapped
//     program's memory is chunked (rows and batch), stays under the cap as
//     planned and as measured by the executor's allocator, and gives the
//     uncapped bounds bit for bit.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "methods/bound_method.h"
#include "support/json_io.h"
#include "support/test_models.h"
#include "support/test_paths.h"

namespace bf {
namespace {

InputRegion region_for(const Graph& g, std::int64_t batch) {
  const Shape& shape = g.type(g.inputs()[0]).shape;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> d(0.0, 1.0);
  std::vector<double> x0(static_cast<std::size_t>(batch * numel(shape)));
  for (auto& v : x0) v = d(rng);
  return linf_ball(x0, 0.005, shape, DType::F32);
}

void expect_within(std::int64_t value, std::int64_t bound, const std::string& what) {
  EXPECT_LE(static_cast<double>(value), 1.15 * static_cast<double>(bound)) << what << ": " << value << " vs " << bound;
}

class CrownPlanMemory : public ::testing::TestWithParam<std::string> {};

TEST_P(CrownPlanMemory, DefaultArenasAreNearTheLowerBound) {
  const std::string path = GetParam();
  auto g = test::load_normalized(path);
  double worst = 0.0;
  for (bool reuse : {false, true}) {
    BoundRequest req;
    req.graph = g;
    req.region = region_for(*g, 2);
    req.planner.enable_storage_reuse = reuse;
    req.planner.reuse_policy = ReusePolicy::Size;
    req.compile.mode = MemoryPlanMode::Default;
    const BoundResult r = make_bound_method("crown")->compute(req);
    ASSERT_NE(r.program, nullptr);
    const CompileStats& cs = r.program->compile_stats();
    const std::string what = test::short_name(path) + (reuse ? " reuse" : " no reuse");
    for (const auto& t : cs.tasks) {
      if (t.memory.lower_bound_bytes == 0) continue;
      expect_within(t.memory.arena_bytes, t.memory.lower_bound_bytes, what + " task " + t.name);
      worst = std::max(worst, static_cast<double>(t.memory.arena_bytes) / t.memory.lower_bound_bytes);
    }
    expect_within(cs.program.arena_bytes, cs.program.lower_bound_bytes, what + " program");
    worst = std::max(
        worst, static_cast<double>(cs.program.arena_bytes) / std::max<std::int64_t>(1, cs.program.lower_bound_bytes));
  }
  std::printf("%s: CROWN arenas at most %.3f x their lower bound\n", test::short_name(path).c_str(), worst);
}

INSTANTIATE_TEST_SUITE_P(Shared, CrownPlanMemory, ::testing::ValuesIn(test::shared_networks()), [](const auto& info) {
  std::string s = test::short_name(info.param);
  for (auto& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
});

class CrownMemoryCap : public ::testing::TestWithParam<std::string> {};

TEST_P(CrownMemoryCap, CappedRunIsBitIdenticalAndUnderTheCap) {
  const std::string dir = test::shared_dir() + "/golden/";
  const std::string net = GetParam();
  const nlohmann::json input = read_json_file(dir + net + ".b64.input.json");
  BoundRequest req;
  req.graph = test::load_normalized(dir + net + ".onnx");
  const Shape& shape = req.graph->type(req.graph->inputs()[0]).shape;
  req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(), shape, DType::F32);
  // Uncut sweeps (no cache-sized chunks) as the baseline the cap must cut.
  req.chunk_cache_bytes = 0;
  const auto method = make_bound_method("crown");
  const BoundResult whole = method->compute(req);
  ASSERT_EQ(whole.chunking.batch, 64);

  BoundRequest capped = req;
  capped.max_memory = whole.planned_bytes / 2;
  const BoundResult r = method->compute(capped);
  EXPECT_LE(r.planned_bytes, capped.max_memory);
  EXPECT_LE(r.stats.memory.peak_bytes, capped.max_memory) << "the executor's allocator measured more than the cap";
  bool cut = r.chunking.batch < 64;
  for (const auto& [v, rows] : r.chunking.rows_per_chunk) cut |= rows < whole.chunking.rows_per_chunk.at(v);
  EXPECT_TRUE(cut) << "the cap cut nothing: the comparison would be empty";
  EXPECT_TRUE(r.outputs[0].lower.bitwise_equal(whole.outputs[0].lower)) << net << " lower bounds differ under the cap";
  EXPECT_TRUE(r.outputs[0].upper.bitwise_equal(whole.outputs[0].upper)) << net << " upper bounds differ under the cap";
  std::printf(
      "%s b64: uncapped %.1f MB, capped at %.1f MB: planned %.1f MB, measured peak %.1f MB, %lld samples a run\n",
      net.c_str(), whole.planned_bytes / 1e6, capped.max_memory / 1e6, r.planned_bytes / 1e6,
      r.stats.memory.peak_bytes / 1e6, static_cast<long long>(r.chunking.batch));
}

INSTANTIATE_TEST_SUITE_P(Golden, CrownMemoryCap, ::testing::Values("mlp_256x2", "mlp_256x6", "cnn_small"));

}  // namespace
}  // namespace bf
