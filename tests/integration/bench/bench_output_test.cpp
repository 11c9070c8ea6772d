// `boundflow bench static-plan` and `bench golden` produce what docs/ says:
// the static-plan JSON validates against docs/bench_static_plan.schema.json,
// has all four quadrants per model, agrees with the reference executor, and
// the plot is an SVG. No timing is asserted: speed goals are measured, not tested.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/file_io.h"
#include "support/json_io.h"
#include "support/json_schema.h"
#include "support/run_command.h"
#include "support/test_paths.h"

namespace bf {
namespace {

TEST(Bench, StaticPlanOutputFollowsTheSchema) {
  const std::string dir = test::scratch_dir("bench_static_plan");
  const std::string mnist = test::shared_dir() + "/benchmarks/mnist_fc/onnx/mnist-net_256x2.onnx.gz";
  auto r =
      test::run_command({test::boundflow_binary(), "bench", "static-plan",
                         test::source_dir() + "/examples/tiny_convnet.onnx", mnist, "--min-tasks", "3", "--batch", "2",
                         "--warmup", "1", "--iters", "3", "--json", dir + "/out.json", "--plot", dir + "/out.svg"},
                        600);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json results = read_json_file(dir + "/out.json");
  const nlohmann::json schema = read_json_file(test::source_dir() + "/docs/bench_static_plan.schema.json");
  const auto violations = test::schema_violations(schema, results);
  for (const auto& v : violations) ADD_FAILURE() << v;
  ASSERT_EQ(results.size(), 8u);  // 2 models x 4 quadrants
  int quadrants_with_static = 0;
  for (const auto& q : results) {
    EXPECT_LE(q["correctness"]["tolerance_ratio"].get<double>(), 1.0) << q["model"];
    const bool is_static = q["quadrant"]["static_plan"].get<bool>();
    quadrants_with_static += is_static;
    if (is_static) {
      EXPECT_EQ(q["runtime"]["allocs_per_run"], 0) << q["model"];
      EXPECT_EQ(q["backend"]["memory_plan_mode"], "DEFAULT");
    } else {
      EXPECT_EQ(q["runtime"]["allocs_per_run"], q["backend"]["total_memory_stats"]["alloc_tensor_count"]);
      EXPECT_EQ(q["backend"]["memory_plan_mode"], "DISABLE_STATIC_PLAN");
    }
    if (q["quadrant"]["planner_reuse"] != "off") {
      EXPECT_LT(q["planner"]["storage_plan"]["physical_bytes"].get<std::int64_t>(),
                q["planner"]["storage_plan"]["logical_bytes"].get<std::int64_t>());
    }
  }
  EXPECT_EQ(quadrants_with_static, 4);
  const std::string svg = read_file(dir + "/out.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("mnist-net_256x2.onnx.gz"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(Bench, SchemaCheckerRejectsBrokenOutput) {
  const nlohmann::json schema = read_json_file(test::source_dir() + "/docs/bench_static_plan.schema.json");
  nlohmann::json broken = nlohmann::json::array({{{"model", "m"}, {"batch", 0}}});
  EXPECT_FALSE(test::schema_violations(schema, broken).empty());
}

TEST(Bench, GoldenComparisonRuns) {
  const std::string dir = test::scratch_dir("bench_golden");
  auto r = test::run_command({test::boundflow_binary(), "bench", "golden", "--golden-dir",
                              test::shared_dir() + "/golden", "--network", "mlp_256x2", "--batch", "1", "--iters", "3",
                              "--warmup", "1", "--reference-iters", "1", "--json", dir + "/golden.json"},
                             600);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = read_json_file(dir + "/golden.json");
  ASSERT_EQ(j.size(), 1u);
  for (const char* key : {"auto_lirpa_ms", "compiled_ms_p50", "reference_ms_p50", "speedup_vs_auto_lirpa",
                          "speedup_vs_reference", "max_rel_diff_vs_auto_lirpa"}) {
    EXPECT_TRUE(j[0].contains(key)) << key;
  }
  EXPECT_LE(j[0]["max_rel_diff_vs_auto_lirpa"].get<double>(), 1e-4);
}

}  // namespace
}  // namespace bf
