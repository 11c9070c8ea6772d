// Gemm, MatMul and Affine: hand-computed products, oneDNN f32 against the plain
// f64 loops on random data, and batch folding against per-sample evaluation.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

Attributes gemm_attrs(double alpha, double beta, bool ta, bool tb) {
  return attrs({{"alpha", alpha}, {"beta", beta}, {"transA", std::int64_t{ta}}, {"transB", std::int64_t{tb}}});
}

TEST(Gemm, HandComputedWithAlphaBetaAndBroadcastBias) {
  // A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]] -> AB = [[4,5],[10,11]].
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = f32({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor c = f32({2}, {100, 200});
  Tensor y = eval1(make_node(OpKind::Gemm, gemm_attrs(2.0, 0.5, false, false)), {a, b, c});
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{58, 110, 70, 122}));
  Tensor no_c = eval1(make_node(OpKind::Gemm, gemm_attrs(1.0, 1.0, false, false)), {a, b, Tensor()});
  EXPECT_EQ(no_c.to_vector<float>(), (std::vector<float>{4, 5, 10, 11}));
}

TEST(Gemm, TransposedOperandsGiveTheSameProduct) {
  Tensor a = random_tensor(DType::F32, {4, 5}, 1);
  Tensor b = random_tensor(DType::F32, {5, 3}, 2);
  Tensor c = random_tensor(DType::F32, {4, 1}, 3);
  Node transpose = make_node(OpKind::Transpose, attrs({{"perm", Ints{1, 0}}}));
  Tensor at = eval1(transpose, {a}), bt = eval1(transpose, {b});
  Tensor ref = eval1(make_node(OpKind::Gemm, gemm_attrs(1.5, 2.0, false, false)), {a, b, c});
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      Tensor y = eval1(make_node(OpKind::Gemm, gemm_attrs(1.5, 2.0, ta, tb)), {ta ? at : a, tb ? bt : b, c});
      EXPECT_TRUE(all_close(y, ref, 1e-6, 1e-6)) << "transA=" << ta << " transB=" << tb;
    }
  }
}

TEST(Gemm, OneDnnF32AgreesWithF64Loops) {
  for (int ta = 0; ta < 2; ++ta) {
    Tensor a = random_tensor(DType::F64, ta ? Shape{37, 9} : Shape{9, 37}, 4);
    Tensor b = random_tensor(DType::F64, {37, 21}, 5);
    Tensor c = random_tensor(DType::F64, {9, 21}, 6);
    Node n = make_node(OpKind::Gemm, gemm_attrs(0.75, -1.25, ta, false));
    Tensor y64 = eval1(n, {a, b, c});
    Tensor y32 = eval1(n, {a.cast(DType::F32), b.cast(DType::F32), c.cast(DType::F32)});
    EXPECT_TRUE(all_close(y32, y64, 1e-5, 1e-5));
  }
}

TEST(Affine, HandComputedAndAgreesAcrossDtypes) {
  // y = x W^T + b, W = [[1,2],[3,4],[5,6]], x = [1,-1].
  Tensor y =
      eval1(make_node(OpKind::Affine), {f64({2}, {1, -1}), f64({3, 2}, {1, 2, 3, 4, 5, 6}), f64({3}, {1, 1, 1})});
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{0, 0, 0}));
  Tensor x = random_tensor(DType::F64, {2, 3, 50}, 7);
  Tensor w = random_tensor(DType::F64, {20, 50}, 8);
  Tensor b = random_tensor(DType::F64, {20}, 9);
  Tensor y64 = eval1(make_node(OpKind::Affine), {x, w, b});
  Tensor y32 = eval1(make_node(OpKind::Affine), {x.cast(DType::F32), w.cast(DType::F32), b.cast(DType::F32)});
  EXPECT_EQ(y64.shape(), Shape({2, 3, 20}));
  EXPECT_TRUE(all_close(y32, y64, 1e-5, 1e-5));
  Tensor no_bias = eval1(make_node(OpKind::Affine), {x.cast(DType::F32), w.cast(DType::F32), Tensor()});
  Tensor no_bias64 = eval1(make_node(OpKind::Affine), {x, w, Tensor()});
  EXPECT_TRUE(all_close(no_bias, no_bias64, 1e-5, 1e-5));
}

TEST(MatMul, OneDimensionalOperands) {
  Node n = make_node(OpKind::MatMul);
  Tensor m = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor v3 = f32({3}, {1, 0, -1});
  Tensor v2 = f32({2}, {1, 1});
  Tensor mv = eval1(n, {m, v3});  // [2,3] x [3] -> [2]
  EXPECT_EQ(mv.shape(), Shape({2}));
  EXPECT_EQ(mv.to_vector<float>(), (std::vector<float>{-2, -2}));
  Tensor vm = eval1(n, {v2, m});  // [2] x [2,3] -> [3]
  EXPECT_EQ(vm.shape(), Shape({3}));
  EXPECT_EQ(vm.to_vector<float>(), (std::vector<float>{5, 7, 9}));
  Tensor vv = eval1(n, {v3, v3});  // dot product -> scalar
  EXPECT_EQ(vv.shape(), Shape({}));
  EXPECT_EQ(vv.to_vector<float>(), (std::vector<float>{2}));
}

TEST(MatMul, BroadcastBatchDimensions) {
  // a: [2,1,2,2] (two identity-scaled matrices), b: [3,2,1] -> [2,3,2,1].
  Tensor a = f64({2, 1, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});
  Tensor b = f64({3, 2, 1}, {1, 2, 3, 4, 5, 6});
  Tensor y = eval1(make_node(OpKind::MatMul), {a, b});
  EXPECT_EQ(y.shape(), Shape({2, 3, 2, 1}));
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12}));
}

TEST(MatMul, ConstantRightOperandThroughOneDnnAgreesWithLoops) {
  Tensor a = random_tensor(DType::F64, {3, 4, 30}, 10);
  Tensor b = random_tensor(DType::F64, {30, 7}, 11);
  Tensor y64 = eval1(make_node(OpKind::MatMul), {a, b});
  Tensor y32 = eval1(make_node(OpKind::MatMul), {a.cast(DType::F32), b.cast(DType::F32)});
  EXPECT_EQ(y32.shape(), Shape({3, 4, 7}));
  EXPECT_TRUE(all_close(y32, y64, 1e-5, 1e-5));
}

// Batched evaluation equals evaluating each sample alone: the batch folding
// into the rows of one product must not mix samples.
TEST(MatMulFamily, BatchedEqualsPerSample) {
  const std::int64_t batch = 3;
  struct Case {
    Node node;
    Shape x_shape;
    std::vector<Tensor> weights;
  };
  std::vector<Case> cases = {
      {make_node(OpKind::Gemm, gemm_attrs(1.0, 1.0, false, true)),
       {2, 6},
       {random_tensor(DType::F32, {4, 6}, 20), random_tensor(DType::F32, {4}, 21)}},
      {make_node(OpKind::Gemm, gemm_attrs(2.0, 1.0, true, false)),
       {6, 2},
       {random_tensor(DType::F32, {6, 4}, 22), random_tensor(DType::F32, {2, 4}, 23)}},
      {make_node(OpKind::Affine), {5}, {random_tensor(DType::F32, {4, 5}, 24), random_tensor(DType::F32, {4}, 25)}},
      {make_node(OpKind::MatMul), {2, 5}, {random_tensor(DType::F32, {5, 3}, 26)}},
      {make_node(OpKind::MatMul), {5}, {random_tensor(DType::F32, {2, 5, 3}, 27)}},
  };
  for (auto& c : cases) {
    for (DType dt : {DType::F32, DType::F64}) {
      std::vector<Tensor> samples, outs;
      std::vector<Tensor> weights;
      for (auto& w : c.weights) weights.push_back(w.cast(dt));
      for (std::int64_t b = 0; b < batch; ++b) {
        samples.push_back(random_tensor(dt, c.x_shape, 30 + static_cast<std::uint32_t>(b)));
        std::vector<Tensor> ins = {samples.back()};
        ins.insert(ins.end(), weights.begin(), weights.end());
        outs.push_back(eval1(c.node, ins));
      }
      std::vector<Tensor> ins = {stack(samples)};
      ins.insert(ins.end(), weights.begin(), weights.end());
      std::vector<Shape> shapes = {c.x_shape};
      for (auto& w : weights) shapes.push_back(w.shape());
      std::vector<bool> batched(ins.size(), false);
      batched[0] = true;
      Tensor y = eval_batched(c.node, ins, shapes, batched, batch);
      EXPECT_TRUE(all_close(y, stack(outs), 1e-6, 1e-6)) << op_name(c.node.op) << " " << dtype_name(dt);
    }
  }
}

TEST(MatMul, BothOperandsBatched) {
  // Per-sample products of two activations.
  Tensor a = f32({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = f32({2, 2, 1}, {1, 1, 2, -1});
  Tensor y = eval_batched(make_node(OpKind::MatMul), {a, b}, {{1, 2}, {2, 1}}, {true, true}, 2);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 2}));
}

}  // namespace
}  // namespace bf::test
