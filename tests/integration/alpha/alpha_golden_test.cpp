// alpha-CROWN on the networks of ../shared/golden and golden/vnncomp:
//   - never looser than CROWN, on every output and every intermediate bound;
//   - against auto_LiRPA 0.5.0's alpha-CROWN (golden NAME.b1.alpha-CROWN.json:
//     20 Adam steps, lr 0.1, decay 0.98, no early stop), with the same
//     settings: our mean improvement over CROWN is at least 90% of auto_LiRPA's,
//     for the lower and for the upper bounds.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "methods/bound_method.h"
#include "support/json_io.h"
#include "support/test_models.h"
#include "support/test_paths.h"
#include "verify/property_spec.h"

namespace bf {
namespace {

std::vector<double> flat(const nlohmann::json& j) {
  std::vector<double> out;
  std::function<void(const nlohmann::json&)> rec = [&](const nlohmann::json& x) {
    if (x.is_array()) {
      for (const auto& e : x) rec(e);
    } else {
      out.push_back(x.get<double>());
    }
  };
  rec(j);
  return out;
}

// Every bound of `alpha` at least as tight as `crown`'s (up to f32 rounding), by value name.
void expect_never_looser(const BoundResult& crown, const BoundResult& alpha, const std::string& what) {
  std::map<std::string, const OutputBounds*> by_name;
  for (const auto& ob : crown.intermediates) by_name[ob.name] = &ob;
  by_name[crown.outputs[0].name] = &crown.outputs[0];
  std::vector<const OutputBounds*> ours = {&alpha.outputs[0]};
  for (const auto& ob : alpha.intermediates) ours.push_back(&ob);
  int values = 0;
  for (const OutputBounds* a : ours) {
    auto it = by_name.find(a->name);
    if (it == by_name.end()) continue;
    ++values;
    const auto cl = it->second->lower.to_double_vector(), cu = it->second->upper.to_double_vector();
    const auto al = a->lower.to_double_vector(), au = a->upper.to_double_vector();
    ASSERT_EQ(cl.size(), al.size()) << what << " " << a->name;
    for (std::size_t i = 0; i < cl.size(); ++i) {
      EXPECT_GE(al[i], cl[i] - 1e-5 * (1 + std::fabs(cl[i]))) << what << " " << a->name << " lower " << i;
      EXPECT_LE(au[i], cu[i] + 1e-5 * (1 + std::fabs(cu[i]))) << what << " " << a->name << " upper " << i;
    }
  }
  EXPECT_GE(values, 1) << what << ": nothing compared";
}

class AlphaGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(AlphaGolden, AtLeast90PercentOfAutoLirpasGainAndNeverLooserThanCrown) {
  const std::string net = GetParam();
  const std::string dir = test::shared_dir() + "/golden/";
  const nlohmann::json input = read_json_file(dir + net + ".b1.input.json");
  const nlohmann::json golden = read_json_file(dir + net + ".b1.alpha-CROWN.json");
  BoundRequest req;
  req.graph = test::load_normalized(dir + net + ".onnx");
  const Shape& shape = req.graph->type(req.graph->inputs()[0]).shape;
  req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(), shape, DType::F32);
  req.export_intermediates = true;
  req.alpha = AlphaOptions{20, 0.1, 0.98, 0, {}};
  const BoundResult crown = make_bound_method("crown")->compute(req);
  const BoundResult alpha = make_bound_method("alpha-crown")->compute(req);
  EXPECT_EQ(alpha.alpha_report.iterations, 20);
  expect_never_looser(crown, alpha, net);
  const auto cl = flat(golden["crown_lower"]), cu = flat(golden["crown_upper"]);
  const auto al = alpha.outputs[0].lower.to_double_vector(), au = alpha.outputs[0].upper.to_double_vector();
  ASSERT_EQ(cl.size(), al.size());
  double gain_lo = 0.0, gain_up = 0.0;
  for (std::size_t i = 0; i < cl.size(); ++i) {
    gain_lo += (al[i] - cl[i]) / static_cast<double>(cl.size());
    gain_up += (cu[i] - au[i]) / static_cast<double>(cu.size());
  }
  const double ratio_lo = gain_lo / golden["mean_gain_lower"].get<double>();
  const double ratio_up = gain_up / golden["mean_gain_upper"].get<double>();
  EXPECT_GE(ratio_lo, 0.9) << net << " lower: gain " << gain_lo;
  EXPECT_GE(ratio_up, 0.9) << net << " upper: gain " << gain_up;
  std::printf("%s: mean gain over CROWN %.5f / %.5f, auto_LiRPA's %.5f / %.5f: ratio %.3f / %.3f (lower / upper)\n",
              net.c_str(), gain_lo, gain_up, golden["mean_gain_lower"].get<double>(),
              golden["mean_gain_upper"].get<double>(), ratio_lo, ratio_up);
}

INSTANTIATE_TEST_SUITE_P(Golden, AlphaGolden, ::testing::Values("mlp_256x2", "mlp_256x6", "cnn_small", "cnn_cifar"));

// With default settings, on the other golden networks (Tanh, Sigmoid,
// LeakyRelu; residual Adds) and the VNN-COMP properties.
TEST(AlphaNeverLooser, OtherGoldenNetworks) {
  const std::string dir = test::shared_dir() + "/golden/";
  for (const char* net : {"resnet_small", "mlp_mixed"}) {
    const nlohmann::json input = read_json_file(dir + std::string(net) + ".b1.input.json");
    BoundRequest req;
    req.graph = test::load_normalized(dir + net + ".onnx");
    const Shape& shape = req.graph->type(req.graph->inputs()[0]).shape;
    req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(), shape, DType::F32);
    req.export_intermediates = true;
    expect_never_looser(make_bound_method("crown")->compute(req), make_bound_method("alpha-crown")->compute(req), net);
  }
}

TEST(AlphaNeverLooser, VnncompProperties) {
  const std::string bench = test::shared_dir() + "/benchmarks/";
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(test::shared_dir() + "/golden/vnncomp")) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const nlohmann::json golden = read_json_file(f);
    auto graph = test::load_normalized(bench + golden["onnx_path"].get<std::string>());
    const VnnlibProperty prop = parse_vnnlib(bench + golden["vnnlib_path"].get<std::string>());
    const PropertySpec ps = property_spec(prop, *graph, DType::F32);
    BoundRequest req;
    req.graph = graph;
    req.region = ps.region;
    req.spec = ps.c;
    req.export_intermediates = true;
    const BoundResult crown = make_bound_method("crown")->compute(req);
    const BoundResult alpha = make_bound_method("alpha-crown")->compute(req);
    expect_never_looser(crown, alpha, std::filesystem::path(f).stem().string());
    const auto cl = crown.outputs[0].lower.to_double_vector(), al = alpha.outputs[0].lower.to_double_vector();
    std::printf("%s: worst margin CROWN %.4f, alpha-CROWN %.4f\n", std::filesystem::path(f).stem().c_str(),
                *std::min_element(cl.begin(), cl.end()), *std::min_element(al.begin(), al.end()));
  }
}

// A warm start (a previous result's parameters) starts where that run ended:
// one step from there beats one step from CROWN's choice.
TEST(AlphaWarmStart, ContinuesFromGivenParameters) {
  const std::string dir = test::shared_dir() + "/golden/";
  const nlohmann::json input = read_json_file(dir + "mlp_256x6.b1.input.json");
  BoundRequest req;
  req.graph = test::load_normalized(dir + "mlp_256x6.onnx");
  const Shape& shape = req.graph->type(req.graph->inputs()[0]).shape;
  req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(), shape, DType::F32);
  req.alpha = AlphaOptions{10, 0.1, 0.98, 0, {}};
  const auto method = make_bound_method("alpha-crown");
  const BoundResult first = method->compute(req);
  ASSERT_NE(first.alpha, nullptr);
  BoundRequest one = req;
  one.alpha.iterations = 1;
  const BoundResult cold = method->compute(one);
  one.alpha_init = first.alpha;
  const BoundResult warm = method->compute(one);
  EXPECT_GT(warm.alpha_report.warm_started_rows, 0);
  EXPECT_EQ(cold.alpha_report.warm_started_rows, 0);
  auto mean = [](const Tensor& t) {
    const auto v = t.to_double_vector();
    double s = 0.0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  EXPECT_GT(mean(warm.outputs[0].lower), mean(cold.outputs[0].lower));
  EXPECT_LT(mean(warm.outputs[0].upper), mean(cold.outputs[0].upper));
  std::printf("mlp_256x6: one step, mean lower bound cold %.4f, warm %.4f (10 steps: %.4f); %lld rows warm started\n",
              mean(cold.outputs[0].lower), mean(warm.outputs[0].lower), mean(first.outputs[0].lower),
              static_cast<long long>(warm.alpha_report.warm_started_rows));
}

// --max-memory holds for alpha-CROWN (it cuts rows per chunk, then the batch),
// and a run repeats bit for bit.
TEST(AlphaMemory, CappedRunStaysUnderTheCapAndRepeats) {
  const std::string dir = test::shared_dir() + "/golden/";
  const nlohmann::json input = read_json_file(dir + "mlp_256x2.b64.input.json");
  BoundRequest req;
  req.graph = test::load_normalized(dir + "mlp_256x2.onnx");
  const Shape& shape = req.graph->type(req.graph->inputs()[0]).shape;
  req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(), shape, DType::F32);
  req.alpha.iterations = 5;
  const auto method = make_bound_method("alpha-crown");
  const BoundResult whole = method->compute(req);
  BoundRequest capped = req;
  capped.max_memory = whole.planned_bytes / 4;
  const BoundResult a = method->compute(capped);
  const BoundResult b = method->compute(capped);
  EXPECT_LE(a.planned_bytes, capped.max_memory);
  EXPECT_LT(a.chunking.batch, 64) << "the cap cut nothing";
  EXPECT_TRUE(a.outputs[0].lower.bitwise_equal(b.outputs[0].lower));
  EXPECT_TRUE(a.outputs[0].upper.bitwise_equal(b.outputs[0].upper));
  const BoundResult crown = make_bound_method("crown")->compute(req);
  expect_never_looser(crown, a, "mlp_256x2 b64 capped");
  std::printf("mlp_256x2 b64 alpha-crown: uncapped %.1f MB; capped at %.1f MB: planned %.1f MB, %lld samples a run\n",
              whole.planned_bytes / 1e6, capped.max_memory / 1e6, a.planned_bytes / 1e6,
              static_cast<long long>(a.chunking.batch));
}

}  // namespace
}  // namespace bf
