// CROWN on real VNN-COMP networks against auto_LiRPA's bounds of the
// property's margin rows (../shared/golden/vnncomp): the property read by our
// VNN-LIB reader gives the input box and the rows of C, the bounds match
// (rtol 1e-4, atol 1e-5), and the `verified` flag (every row's lower bound
// > 0) agrees. IBP (C fused into the last layer, as the golden's) too.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "methods/bound_method.h"
#include "support/json_io.h"
#include "support/test_models.h"
#include "support/test_paths.h"
#include "verify/property_spec.h"

namespace bf {
namespace {

std::vector<std::string> golden_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(test::shared_dir() + "/golden/vnncomp")) {
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CrownVnncomp : public ::testing::TestWithParam<std::string> {};

TEST_P(CrownVnncomp, MarginBoundsAndVerdictMatchAutoLirpa) {
  const nlohmann::json golden = read_json_file(GetParam());
  const std::string bench = test::shared_dir() + "/benchmarks/";
  auto graph = test::load_normalized(bench + golden["onnx_path"].get<std::string>());
  const std::int64_t n_in = numel(graph->type(graph->inputs()[0]).shape);
  const std::int64_t n_out = numel(graph->type(graph->outputs()[0]).shape);
  const VnnlibProperty prop = parse_vnnlib(bench + golden["vnnlib_path"].get<std::string>(), n_in, n_out);
  const PropertySpec ps = property_spec(prop, *graph, DType::F32);
  ASSERT_EQ(ps.region.batch, 1);

  // The golden's rows ("Y_4 - Y_0") are exactly the property's rows, in order.
  const auto rows = golden["spec_rows"].get<std::vector<std::string>>();
  ASSERT_EQ(ps.c.shape()[0], static_cast<std::int64_t>(rows.size()));
  const std::vector<double> c = ps.c.to_double_vector();
  const std::regex row_re(R"(Y_(\d+) - Y_(\d+))");
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(rows[r], m, row_re)) << rows[r];
    std::vector<double> want(static_cast<std::size_t>(n_out), 0.0);
    want[std::stoul(m[1])] += 1.0;
    want[std::stoul(m[2])] -= 1.0;
    const std::vector<double> got(c.begin() + static_cast<std::ptrdiff_t>(r * n_out),
                                  c.begin() + static_cast<std::ptrdiff_t>((r + 1) * n_out));
    EXPECT_EQ(got, want) << "row " << r << ": " << rows[r];
  }

  for (const auto& res : golden["results"]) {
    const std::string gm = res["method"].get<std::string>();
    BoundRequest req;
    req.graph = graph;
    req.region = ps.region;
    req.spec = ps.c;
    req.fuse_spec = gm == "IBP";
    const BoundResult r = make_bound_method(gm == "IBP" ? "ibp" : "crown")->compute(req);
    const auto lo = r.outputs[0].lower.to_double_vector(), hi = r.outputs[0].upper.to_double_vector();
    const auto glo = res["lower"].get<std::vector<double>>(), ghi = res["upper"].get<std::vector<double>>();
    ASSERT_EQ(lo.size(), glo.size()) << gm;
    double worst = 0.0;
    for (std::size_t i = 0; i < lo.size(); ++i) {
      EXPECT_NEAR(lo[i], glo[i], 1e-5 + 1e-4 * std::fabs(glo[i])) << gm << " row " << i << " lower";
      EXPECT_NEAR(hi[i], ghi[i], 1e-5 + 1e-4 * std::fabs(ghi[i])) << gm << " row " << i << " upper";
      worst = std::max({worst, std::fabs(lo[i] - glo[i]) / (1e-5 + 1e-4 * std::fabs(glo[i])),
                        std::fabs(hi[i] - ghi[i]) / (1e-5 + 1e-4 * std::fabs(ghi[i]))});
    }
    const bool verified = std::all_of(lo.begin(), lo.end(), [](double v) { return v > 0.0; });
    EXPECT_EQ(verified, res["verified"].get<bool>()) << gm;
    std::printf("%s %s: %zu rows within %.3f of the tolerance, verified %s (auto_LiRPA %s)\n",
                std::filesystem::path(GetParam()).stem().c_str(), gm.c_str(), lo.size(), worst, verified ? "yes" : "no",
                res["verified"].get<bool>() ? "yes" : "no");
  }
}

INSTANTIATE_TEST_SUITE_P(Vnncomp, CrownVnncomp, ::testing::ValuesIn(golden_files()), [](const auto& info) {
  std::string s = std::filesystem::path(info.param).stem().string();
  for (auto& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s.substr(0, 60);
});

}  // namespace
}  // namespace bf
