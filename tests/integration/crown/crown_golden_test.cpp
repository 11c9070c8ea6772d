// CROWN against auto_LiRPA 0.5.0's in ../shared/golden (rtol 1e-4, atol 1e-5):
// output bounds at batch 1 and 64, and every intermediate ReLU-input bound the
// golden saved (`relu_inputs`): sparse intermediates for CROWN, every neuron
// for CROWN-dense (--dense-intermediates). The compiled executor on every
// network; the reference executor too on the small ones.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "methods/bound_method.h"
#include "support/json_io.h"
#include "support/test_models.h"
#include "support/test_paths.h"

namespace bf {
namespace {

struct GoldenCase {
  std::string net;
  int batch;
  std::string method;  // "CROWN" or "CROWN-dense"
};

std::vector<GoldenCase> cases() {
  std::vector<GoldenCase> out;
  for (const char* n : {"mlp_256x2", "mlp_256x6", "cnn_small", "cnn_cifar", "resnet_small", "mlp_mixed"}) {
    for (int b : {1, 64}) {
      for (const char* m : {"CROWN", "CROWN-dense"}) {
        const std::string f = test::shared_dir() + "/golden/" + n + ".b" + std::to_string(b) + "." + m + ".json";
        if (std::filesystem::exists(f)) out.push_back({n, b, m});
      }
    }
  }
  return out;
}

void flatten(const nlohmann::json& j, std::vector<double>& out) {
  if (j.is_array()) {
    for (const auto& e : j) flatten(e, out);
  } else {
    out.push_back(j.get<double>());
  }
}

std::vector<double> flat(const nlohmann::json& j) {
  std::vector<double> out;
  flatten(j, out);
  return out;
}

// Worst |ours - golden| / (atol + rtol |golden|); <= 1 passes.
double worst_ratio(const std::vector<double>& ours, const std::vector<double>& golden) {
  double worst = 0.0;
  for (std::size_t i = 0; i < ours.size() && i < golden.size(); ++i) {
    worst = std::max(worst, std::fabs(ours[i] - golden[i]) / (1e-5 + 1e-4 * std::fabs(golden[i])));
  }
  return worst;
}

// Our intermediates that are inputs of a ReLU-class node (what auto_LiRPA
// records as relu_inputs), in order.
std::vector<const OutputBounds*> relu_inputs(const Graph& g, const std::vector<OutputBounds>& intermediates) {
  std::set<ValueId> feeds_relu;
  for (const Node& n : g.nodes()) {
    if (n.op == OpKind::Relu || n.op == OpKind::LeakyRelu) feeds_relu.insert(n.inputs[0]);
  }
  std::vector<const OutputBounds*> out;
  for (const auto& ob : intermediates) {
    const auto v = g.find_value(ob.name);
    if (v && feeds_relu.count(*v) != 0) out.push_back(&ob);
  }
  return out;
}

class CrownGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(CrownGolden, MatchesAutoLirpaIncludingIntermediates) {
  const auto& c = GetParam();
  const std::string dir = test::shared_dir() + "/golden/";
  const std::string prefix = dir + c.net + ".b" + std::to_string(c.batch);
  const nlohmann::json input = read_json_file(prefix + ".input.json");
  const nlohmann::json golden = read_json_file(prefix + "." + c.method + ".json");

  BoundRequest req;
  req.graph = test::load_normalized(dir + c.net + ".onnx");
  const Shape& shape = req.graph->type(req.graph->inputs()[0]).shape;
  req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(), shape, DType::F32);
  ASSERT_EQ(req.region.batch, c.batch);
  req.dense_intermediates = c.method == "CROWN-dense";
  req.export_intermediates = true;
  const auto method = make_bound_method("crown");

  std::vector<ExecutorKind> executors = {ExecutorKind::Compiled};
  if (c.batch == 1 && (c.net == "mlp_256x2" || c.net == "cnn_small" || c.net == "mlp_mixed")) {
    executors.push_back(ExecutorKind::Reference);
  }
  for (ExecutorKind ex : executors) {
    req.executor = ex;
    const BoundResult r = method->compute(req);
    const std::string what = c.net + " b" + std::to_string(c.batch) + " " + c.method + " " + executor_kind_name(ex);
    const double out_lo = worst_ratio(r.outputs[0].lower.to_double_vector(), flat(golden["lower"]));
    const double out_hi = worst_ratio(r.outputs[0].upper.to_double_vector(), flat(golden["upper"]));
    ASSERT_EQ(r.outputs[0].lower.numel(), static_cast<std::int64_t>(flat(golden["lower"]).size())) << what;
    EXPECT_LE(out_lo, 1.0) << what << " output lower bounds";
    EXPECT_LE(out_hi, 1.0) << what << " output upper bounds";
    double inter = 0.0;
    std::size_t compared = 0;
    if (golden.contains("relu_inputs")) {
      const auto ours = relu_inputs(*req.graph, r.intermediates);
      ASSERT_EQ(ours.size(), golden["relu_inputs"].size()) << what << ": ReLU inputs bounded";
      for (std::size_t k = 0; k < ours.size(); ++k) {
        const auto& g = golden["relu_inputs"][k];
        const auto glo = flat(g["lower"]), ghi = flat(g["upper"]);
        ASSERT_EQ(ours[k]->lower.numel(), static_cast<std::int64_t>(glo.size())) << what << " ReLU input " << k;
        const double lo = worst_ratio(ours[k]->lower.to_double_vector(), glo);
        const double hi = worst_ratio(ours[k]->upper.to_double_vector(), ghi);
        EXPECT_LE(lo, 1.0) << what << " ReLU input " << k << " (" << ours[k]->name << ") lower";
        EXPECT_LE(hi, 1.0) << what << " ReLU input " << k << " (" << ours[k]->name << ") upper";
        inter = std::max({inter, lo, hi});
        compared += glo.size();
      }
    }
    std::printf("%s: outputs within %.3f of the tolerance, %zu ReLU-input bounds within %.3f\n", what.c_str(),
                std::max(out_lo, out_hi), compared, inter);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, CrownGolden, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string s = info.param.net + "_b" + std::to_string(info.param.batch) + "_" + info.param.method;
  for (auto& ch : s) {
    if (ch == '-') ch = '_';
  }
  return s;
});

}  // namespace
}  // namespace bf
