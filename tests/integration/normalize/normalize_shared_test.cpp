// Every network under ../shared normalises, still validates, computes the same
// outputs as before normalisation on random inputs, and ends in canonical form:
// dense layers as Affine, input normalisation as one ScaleShift.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "frontend/onnx/onnx_importer.h"
#include "support/test_paths.h"
#include "transform/normalize.h"
#include "unit/transform/transform_test_util.h"

namespace bf {
namespace {

std::string short_name(const std::string& path) { return std::filesystem::relative(path, test::shared_dir()).string(); }

std::map<std::string, int> op_histogram(const Graph& g) {
  std::map<std::string, int> h;
  for (const auto& n : g.nodes()) ++h[std::string(op_name(n.op))];
  return h;
}

std::string histogram_str(const std::map<std::string, int>& h) {
  std::string out;
  for (const auto& [op, count] : h) out += (out.empty() ? "" : " ") + op + "x" + std::to_string(count);
  return out;
}

bool has_constant_operand(const Graph& g, const Node& n) {
  for (ValueId v : n.inputs) {
    if (v != kNoValue && g.is_constant(v)) return true;
  }
  return false;
}

class NormalizeShared : public testing::TestWithParam<std::string> {};

TEST_P(NormalizeShared, PreservesOutputsAndReachesCanonicalForm) {
  const std::string path = GetParam();
  Graph original = import_onnx(path);
  Graph g = original;
  PassReport report = normalize(g);
  validate(g);

  // Same outputs on random inputs (uniform in [0, 1]: image pixels and normalised
  // ACAS Xu inputs both live there), f32 tolerance.
  test::Equivalence eq = test::tolerance_for(DType::F32);
  eq.lo = 0.0;
  eq.hi = 1.0;
  double worst = test::expect_equivalent(original, g, eq);

  // Canonical form: no dense layer left outside Affine, nothing foldable left.
  for (const auto& n : g.nodes()) {
    EXPECT_NE(n.op, OpKind::Gemm) << n.name << " should have become Affine";
    EXPECT_NE(n.op, OpKind::MatMul) << n.name << " should have become Affine";
    EXPECT_NE(n.op, OpKind::Identity) << n.name;
    EXPECT_NE(n.op, OpKind::Dropout) << n.name;
    EXPECT_NE(n.op, OpKind::BatchNormalization) << n.name;
    // Elementwise arithmetic with a constant merged into ScaleShift or an Affine bias.
    bool arithmetic = n.op == OpKind::Add || n.op == OpKind::Sub || n.op == OpKind::Mul || n.op == OpKind::Div;
    EXPECT_FALSE(arithmetic && has_constant_operand(g, n)) << n.name << " (" << op_name(n.op) << ") was not folded";
  }
  // Whatever normalised the input is at most one ScaleShift reading it directly.
  int scale_shifts_on_input = 0;
  for (const auto& n : g.nodes()) {
    if (n.op == OpKind::ScaleShift && g.is_input(n.inputs[0])) ++scale_shifts_on_input;
  }
  EXPECT_LE(scale_shifts_on_input, 1);

  std::cout << short_name(path) << ": " << original.nodes().size() << " -> " << g.nodes().size() << " nodes ["
            << histogram_str(op_histogram(g)) << "], max |diff| " << worst << "\n";
  for (const auto& r : report.passes) {
    for (const auto& line : r.remarks) std::cout << "  " << r.name << ": " << line << "\n";
  }
}

// ERAN's MNIST network normalises its input with Sub mean, Div std: one ScaleShift.
TEST(NormalizeSharedEran, SubDivBecomesOneScaleShiftOnTheInput) {
  std::string path;
  for (const auto& p : test::shared_networks()) {
    if (p.find("mnist_relu_9_200") != std::string::npos) path = p;
  }
  if (path.empty()) GTEST_SKIP() << "eran mnist_relu_9_200 not found under " << test::shared_dir();
  Graph original = import_onnx(path);
  auto before = op_histogram(original);
  EXPECT_GE(before["Sub"], 1);
  EXPECT_GE(before["Div"], 1);
  Graph g = original;
  normalize(g);
  auto after = op_histogram(g);
  EXPECT_EQ(after["ScaleShift"], 1);
  EXPECT_EQ(after["Sub"], 0);
  EXPECT_EQ(after["Div"], 0);
  EXPECT_EQ(after["Gemm"], 0);
  EXPECT_EQ(after["Affine"], before["Gemm"] + before["MatMul"]);
  ASSERT_FALSE(g.nodes().empty());
  // The first node is the ScaleShift on the graph input (any reshaping may come first in other exports).
  bool found = false;
  for (const auto& n : g.nodes()) {
    if (n.op == OpKind::ScaleShift) {
      found = true;
      EXPECT_TRUE(g.is_input(n.inputs[0]));
    }
  }
  EXPECT_TRUE(found);
}

std::vector<std::string> networks() {
  auto nets = test::shared_networks();
  return nets;
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = short_name(info.param);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Networks, NormalizeShared, testing::ValuesIn(networks()), test_name);

TEST(NormalizeSharedSetup, FindsNetworks) {
  EXPECT_FALSE(networks().empty()) << "no networks under " << test::shared_dir();
}

}  // namespace
}  // namespace bf
