#include "transform/normalize.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "support/golden_text.h"
#include "support/test_graphs.h"
#include "unit/transform/transform_test_util.h"

namespace bf {
namespace {

using test::op_sequence;
using test::RandomSource;

ValueId unary(Graph& g, OpKind op, const std::string& name, ValueId x) {
  return g.add_inferred_node(op, name, {}, {x}, {name + "_out"})[0];
}

ValueId binary(Graph& g, OpKind op, const std::string& name, ValueId a, ValueId b) {
  return g.add_inferred_node(op, name, {}, {a, b}, {name + "_out"})[0];
}

ValueId add_bn(Graph& g, RandomSource& rnd, const std::string& name, ValueId x) {
  std::int64_t c = g.type(x).shape[1];
  DType dt = g.type(x).dtype;
  ValueId scale = g.add_constant(name + ".scale", rnd.away_from_zero(dt, {c}, -2, 2, 0.2));
  ValueId bias = test::add_random_constant(g, rnd, name + ".B", dt, {c});
  ValueId mean = test::add_random_constant(g, rnd, name + ".mean", dt, {c});
  ValueId var = test::add_random_constant(g, rnd, name + ".var", dt, {c}, 0.3, 2.0);
  Attributes a;
  a.set("epsilon", 1e-5);
  return g.add_inferred_node(OpKind::BatchNormalization, name, a, {x, scale, bias, mean, var}, {name + "_out"})[0];
}

// x -> Identity -> Sub mean -> Div std -> MatMul W1 -> Add (b1a + b1b) -> Relu -> BN -> Gemm -> Identity -> y
Graph dense_network(DType dt) {
  RandomSource rnd(1);
  Graph g;
  g.name = "dense";
  ValueId x = g.add_input("x", {dt, {1, 6}});
  ValueId h = unary(g, OpKind::Identity, "id_in", x);
  ValueId mean = test::add_random_constant(g, rnd, "mean", dt, {6});
  ValueId stdev = g.add_constant("std", rnd.away_from_zero(dt, {6}, 0.2, 1.0, 0.2));
  h = binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "sub", h, mean), stdev);
  ValueId w1 = test::add_random_constant(g, rnd, "W1", dt, {6, 5});
  ValueId b1a = test::add_random_constant(g, rnd, "b1a", dt, {5});
  ValueId b1b = test::add_random_constant(g, rnd, "b1b", dt, {5});
  ValueId b1 = binary(g, OpKind::Add, "b1", b1a, b1b);
  h = unary(g, OpKind::Relu, "relu", binary(g, OpKind::Add, "bias1", binary(g, OpKind::MatMul, "mm1", h, w1), b1));
  h = add_bn(g, rnd, "bn", h);
  ValueId B2 = test::add_random_constant(g, rnd, "B2", dt, {3, 5});
  ValueId C2 = test::add_random_constant(g, rnd, "C2", dt, {3});
  Attributes ga;
  ga.set("alpha", 1.0);
  ga.set("beta", 1.0);
  ga.set("transA", std::int64_t{0});
  ga.set("transB", std::int64_t{1});
  h = g.add_inferred_node(OpKind::Gemm, "gemm", ga, {h, B2, C2}, {"logits"})[0];
  g.add_output(g.add_inferred_node(OpKind::Identity, "id_out", {}, {h}, {"y"})[0]);
  return g;
}

TEST(Normalize, DenseNetworkReachesCanonicalForm) {
  for (DType dt : {DType::F32, DType::F64}) {
    SCOPED_TRACE(dtype_name(dt));
    Graph g = dense_network(dt);
    Graph before = g;
    PassReport report = normalize(g);
    validate(g);
    EXPECT_EQ(op_sequence(g), "ScaleShift,Affine,Relu,Affine");
    EXPECT_EQ(g.value(g.outputs()[0]).name, "y");
    EXPECT_TRUE(report.changed());
    test::expect_equivalent(before, g, test::tolerance_for(dt));
  }
}

TEST(Normalize, Tf2OnnxConvNetworkReachesCanonicalForm) {
  RandomSource rnd(2);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 6, 6, 3}});
  Attributes perm;
  perm.set("perm", std::vector<std::int64_t>{0, 3, 1, 2});
  ValueId h = g.add_inferred_node(OpKind::Transpose, "to_nchw", perm, {x}, {"t"})[0];
  ValueId mean = test::add_random_constant(g, rnd, "mean", DType::F32, {1, 3, 1, 1});
  ValueId stdev = g.add_constant("std", rnd.away_from_zero(DType::F32, {1, 3, 1, 1}, 0.2, 1.0, 0.2));
  h = binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "sub", h, mean), stdev);
  const Attributes ca = test::conv2d_attrs(3, 2, 1);
  ValueId w = test::add_random_constant(g, rnd, "w", DType::F32, {4, 3, 3, 3});
  h = g.add_inferred_node(OpKind::Conv, "conv", ca, {h, w}, {"c"})[0];
  h = unary(g, OpKind::Relu, "relu", add_bn(g, rnd, "bn", h));
  Attributes fa;
  fa.set("axis", std::int64_t{1});
  h = g.add_inferred_node(OpKind::Flatten, "flat", fa, {h}, {"f"})[0];
  ValueId w2 = test::add_random_constant(g, rnd, "w2", DType::F32, {36, 2});
  g.add_output(binary(g, OpKind::MatMul, "fc", h, w2));
  Graph before = g;

  normalize(g);
  validate(g);
  EXPECT_EQ(op_sequence(g), "ScaleShift,Transpose,Conv,Relu,Flatten,Affine");
  EXPECT_EQ(g.nodes()[0].inputs[0], g.inputs()[0]);
  test::expect_equivalent(before, g);
}

TEST(Normalize, DumpsShowEachPassAndAreDeterministic) {
  Graph g1 = dense_network(DType::F32), g2 = dense_network(DType::F32);
  NormalizeOptions options;
  options.capture_dumps = true;
  PassReport r1 = normalize(g1, options);
  PassReport r2 = normalize(g2, options);
  ASSERT_EQ(r1.passes.size(), r2.passes.size());
  EXPECT_EQ(r1.dump_before, r2.dump_before);
  for (std::size_t i = 0; i < r1.passes.size(); ++i) {
    EXPECT_EQ(r1.passes[i].dump_after, r2.passes[i].dump_after) << r1.passes[i].name;
    EXPECT_EQ(r1.passes[i].remarks, r2.passes[i].remarks) << r1.passes[i].name;
    const std::string& previous = i == 0 ? r1.dump_before : r1.passes[i - 1].dump_after;
    EXPECT_EQ(r1.passes[i].changed, r1.passes[i].dump_after != previous) << r1.passes[i].name;
  }
  EXPECT_EQ(r1.passes.back().dump_after, print_graph(g1));
  // The per-pass dumps, pinned: the IR before, then each pass's name and the IR after it.
  std::string all = "// before\n" + r1.dump_before;
  for (const auto& p : r1.passes) all += "// after " + p.name + (p.changed ? "" : " (unchanged)") + "\n" + p.dump_after;
  test::expect_golden_text(all, "transform/dense_network_after_each_pass.txt");
  // A second normalisation finds nothing left to do.
  PassReport again = normalize(g1, options);
  EXPECT_FALSE(again.changed()) << again.summary();
}

TEST(Normalize, SkippingAPassLeavesItsPatternInPlace) {
  Graph g = dense_network(DType::F32);
  Graph before = g;
  NormalizeOptions options;
  options.skip = {"fold_batchnorm", "remove_identity"};
  normalize(g, options);
  validate(g);
  EXPECT_EQ(op_sequence(g), "Identity,ScaleShift,Affine,Relu,BatchNormalization,Affine,Identity");
  test::expect_equivalent(before, g);
}

}  // namespace
}  // namespace bf
