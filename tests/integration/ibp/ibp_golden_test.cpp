// IBP bounds against auto_LiRPA 0.5.0's in ../shared/golden (rtol 1e-4,
// atol 1e-5: float32 summation order alone moves them by a few 1e-6), at
// batch 1 and 64, and bit-identical whatever the plan.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "methods/ibp_method.h"
#include "support/json_io.h"
#include "support/test_models.h"
#include "support/test_paths.h"

namespace bf {
namespace {

struct GoldenCase {
  std::string net;
  int batch;
};

std::vector<GoldenCase> cases() {
  std::vector<GoldenCase> out;
  for (const char* n : {"mlp_256x2", "mlp_256x6", "cnn_small", "cnn_cifar"}) {
    for (int b : {1, 64}) out.push_back({n, b});
  }
  return out;
}

class IbpGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(IbpGolden, MatchesAutoLirpa) {
  const auto& c = GetParam();
  const std::string dir = test::shared_dir() + "/golden/";
  const std::string prefix = dir + c.net + ".b" + std::to_string(c.batch);
  nlohmann::json input = read_json_file(prefix + ".input.json");
  nlohmann::json golden = read_json_file(prefix + ".IBP.json");

  IbpRequest request;
  request.graph = test::load_normalized(dir + c.net + ".onnx");
  const Shape& shape = request.graph->type(request.graph->inputs()[0]).shape;
  request.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(), shape, DType::F32);
  ASSERT_EQ(request.region.batch, c.batch);
  request.planner.min_tasks = 3;
  IbpResult result = compute_ibp_reference(request);

  auto lo = result.outputs[0].lower.to_double_vector();
  auto hi = result.outputs[0].upper.to_double_vector();
  auto glo = golden["lower"].get<std::vector<double>>();
  auto ghi = golden["upper"].get<std::vector<double>>();
  ASSERT_EQ(lo.size(), glo.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < lo.size(); ++i) {
    EXPECT_NEAR(lo[i], glo[i], 1e-5 + 1e-4 * std::fabs(glo[i])) << c.net << " lower " << i;
    EXPECT_NEAR(hi[i], ghi[i], 1e-5 + 1e-4 * std::fabs(ghi[i])) << c.net << " upper " << i;
    worst = std::max({worst, std::fabs(lo[i] - glo[i]) / (1e-5 + std::fabs(glo[i])),
                      std::fabs(hi[i] - ghi[i]) / (1e-5 + std::fabs(ghi[i]))});
  }
  std::printf("%s b%d: %zu bounds, worst relative difference to auto_LiRPA %.3g\n", c.net.c_str(), c.batch, lo.size(),
              worst);

  // Every planner / reuse combination gives the same bits.
  for (PlannerVersion v : {PlannerVersion::V0, PlannerVersion::V2}) {
    for (const char* reuse : {"off", "exact", "size"}) {
      IbpRequest r2 = request;
      r2.planner = PlannerConfig{};
      r2.planner.version = v;
      r2.planner.min_tasks = v == PlannerVersion::V2 ? 4 : 1;
      r2.planner.enable_storage_reuse = std::string(reuse) != "off";
      if (r2.planner.enable_storage_reuse) r2.planner.reuse_policy = parse_reuse_policy(reuse);
      IbpResult other = compute_ibp_reference(r2);
      EXPECT_TRUE(other.outputs[0].lower.bitwise_equal(result.outputs[0].lower)) << planner_version_name(v) << reuse;
      EXPECT_TRUE(other.outputs[0].upper.bitwise_equal(result.outputs[0].upper)) << planner_version_name(v) << reuse;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, IbpGolden, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.net + "_b" + std::to_string(info.param.batch); });

}  // namespace
}  // namespace bf
