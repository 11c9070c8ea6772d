// The reference forward executor on hand-built graphs: results against hand
// computation, batching, f64 compute on an f32 graph without touching the
// graph, shared (constant-only) values, input checking and activation freeing.
#include "runtime/forward_executor.h"

#include <gtest/gtest.h>

#include <random>

#include "ir/printer.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

// x[1,2] -> Affine(W = [[1,2],[3,-4]], b = [0.5, 0.25]) -> Relu -> y[1,2]
Graph affine_relu() {
  Graph g;
  g.name = "affine_relu";
  ValueId x = g.add_input("x", {DType::F32, {1, 2}});
  ValueId w = g.add_constant("w", Tensor::from_vector<float>({2, 2}, {1, 2, 3, -4}));
  ValueId b = g.add_constant("b", Tensor::from_vector<float>({2}, {0.5f, 0.25f}));
  ValueId h = g.add_inferred_node(OpKind::Affine, "fc", {}, {x, w, b}, {"h"})[0];
  ValueId y = g.add_inferred_node(OpKind::Relu, "relu", {}, {h}, {"y"})[0];
  g.add_output(y);
  return g;
}

TEST(ForwardExecutor, SingleSampleHandComputed) {
  // x = [1, 1]: h = [1+2+0.5, 3-4+0.25] = [3.5, -0.75] -> y = [3.5, 0]
  auto y = run_forward(affine_relu(), {Tensor::from_vector<float>({1, 2}, {1, 1})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].dtype(), DType::F32);
  EXPECT_EQ(y[0].shape(), Shape({1, 2}));
  EXPECT_EQ(y[0].to_vector<float>(), (std::vector<float>{3.5f, 0.0f}));
}

TEST(ForwardExecutor, BatchPrependsADimensionAndAcceptsAnyInputShape) {
  ForwardOptions opt;
  opt.batch = 3;
  // Three samples given flat: only the element count matters.
  auto y = run_forward(affine_relu(), {Tensor::from_vector<float>({6}, {1, 1, 0, 0, -1, 1})}, opt);
  EXPECT_EQ(y[0].shape(), Shape({3, 1, 2}));
  // [0,0] -> [0.5, 0.25]; [-1,1] -> [-1+2+0.5, -3-4+0.25] = [1.5, -6.75] -> relu
  EXPECT_EQ(y[0].to_vector<float>(), (std::vector<float>{3.5f, 0, 0.5f, 0.25f, 1.5f, 0}));
}

TEST(ForwardExecutor, F64ComputeConvertsWithoutMutatingTheGraph) {
  Graph g = affine_relu();
  const std::string before = print_graph(g);
  ForwardOptions opt;
  opt.compute = DType::F64;
  // 0.1 is not exact in f32: an f64 run must see the f32 input widened, not re-rounded.
  auto y = run_forward(g, {Tensor::from_vector<float>({1, 2}, {0.1f, 0.0f})}, opt);
  EXPECT_EQ(y[0].dtype(), DType::F64);
  EXPECT_EQ(y[0].to_vector<double>()[0], static_cast<double>(0.1f) + 0.5);
  EXPECT_EQ(print_graph(g), before);
  EXPECT_EQ(g.constant(*g.find_value("w")).dtype(), DType::F32);
  // An f64 input is accepted by an f32 run (rounded to f32).
  auto z = run_forward(g, {Tensor::from_vector<double>({1, 2}, {1, 1})});
  EXPECT_EQ(z[0].to_vector<float>(), (std::vector<float>{3.5f, 0.0f}));
}

TEST(ForwardExecutor, ConstantOnlyValuesAreSharedAcrossTheBatch) {
  // y = x + (c1 * c2), and a second output that is a constant chain alone.
  Graph g;
  ValueId x = g.add_input("x", {DType::F64, {2}});
  ValueId c1 = g.add_constant("c1", Tensor::from_vector<double>({2}, {1, 2}));
  ValueId c2 = g.add_constant("c2", Tensor::from_vector<double>({2}, {10, 100}));
  ValueId p = g.add_inferred_node(OpKind::Mul, "mul", {}, {c1, c2}, {"p"})[0];
  ValueId y = g.add_inferred_node(OpKind::Add, "add", {}, {x, p}, {"y"})[0];
  g.add_output(y);
  g.add_output(p);
  ForwardOptions opt;
  opt.compute = DType::F64;
  opt.batch = 2;
  auto out = run_forward(g, {Tensor::from_vector<double>({2, 2}, {1, 1, 2, 2})}, opt);
  EXPECT_EQ(out[0].to_vector<double>(), (std::vector<double>{11, 201, 12, 202}));
  EXPECT_EQ(out[1].shape(), Shape({2, 2}));
  EXPECT_EQ(out[1].to_vector<double>(), (std::vector<double>{10, 200, 10, 200}));
}

TEST(ForwardExecutor, OutputsNeverAliasInputsOrConstants) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2}});
  ValueId c = g.add_constant("c", Tensor::from_vector<float>({2}, {5, 6}));
  g.add_output(x);
  g.add_output(c);
  Tensor in = Tensor::from_vector<float>({2}, {1, 2});
  auto out = run_forward(g, {in});
  out[0].mutable_data<float>()[0] = 42;
  out[1].mutable_data<float>()[0] = 42;
  EXPECT_EQ(in.to_vector<float>()[0], 1.0f);
  EXPECT_EQ(g.constant(c).to_vector<float>()[0], 5.0f);
}

TEST(ForwardExecutor, RejectsBadInputs) {
  Graph g = affine_relu();
  EXPECT_THROW(run_forward(g, {}), Error);
  EXPECT_THROW(run_forward(g, {Tensor::from_vector<float>({3}, {1, 2, 3})}), Error);
  EXPECT_THROW(run_forward(g, {Tensor::from_vector<std::int64_t>({2}, {1, 2})}), Error);
  ForwardOptions opt;
  opt.batch = 2;
  try {
    run_forward(g, {Tensor::from_vector<float>({2}, {1, 2})}, opt);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Shape);
    EXPECT_NE(std::string(e.what()).find("input 'x' holds 2 elements, expected 4"), std::string::npos) << e.what();
  }
  opt.batch = 1;
  opt.compute = DType::I64;
  EXPECT_THROW(run_forward(g, {Tensor::from_vector<float>({2}, {1, 2})}, opt), Error);
}

TEST(ForwardExecutor, EvaluationErrorsNameTheNode) {
  // A Gather whose constant index is out of range only fails when evaluated.
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {3}});
  ValueId i = g.add_constant("i", Tensor::from_vector<std::int64_t>({1}, {7}));
  Attributes a;
  a.set("axis", std::int64_t{0});
  g.add_output(g.add_inferred_node(OpKind::Gather, "pick", a, {x, i}, {"y"})[0]);
  try {
    run_forward(g, {Tensor::from_vector<float>({3}, {1, 2, 3})});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.node(), "pick");
    EXPECT_EQ(e.op(), "Gather");
  }
}

TEST(ForwardExecutor, ActivationsAreFreedAfterTheirLastUse) {
  // A chain of 20 Relu nodes on 1 MiB activations: only a producer and its
  // consumer's result need to be alive at once.
  Graph g;
  const std::int64_t n = 256 * 1024;
  ValueId v = g.add_input("x", {DType::F32, {n}});
  for (int i = 0; i < 20; ++i) {
    v = g.add_inferred_node(OpKind::Relu, "relu" + std::to_string(i), {}, {v}, {"h" + std::to_string(i)})[0];
  }
  g.add_output(v);
  ForwardStats stats;
  ForwardOptions opt;
  opt.stats = &stats;
  run_forward(g, {Tensor(DType::F32, {n})}, opt);
  const std::size_t one = static_cast<std::size_t>(n) * sizeof(float);
  EXPECT_EQ(stats.peak_activation_bytes, 2 * one);
}

Tensor random_f32(Shape shape, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(numel(shape)));
  for (float& x : v) x = dist(gen);
  return Tensor::from_vector<float>(std::move(shape), v);
}

// x[1,2,6,6] -> Conv(3x3, pad 1) -> Relu -> MaxPool(2) -> Flatten -> Gemm -> Softmax
Graph small_cnn() {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 6, 6}});
  ValueId w = g.add_constant("w", random_f32({3, 2, 3, 3}, 1));
  ValueId b = g.add_constant("b", random_f32({3}, 2));
  const Attributes conv = test::conv2d_attrs(3, 1, 1);
  ValueId c = g.add_inferred_node(OpKind::Conv, "conv", conv, {x, w, b}, {"c"})[0];
  ValueId r = g.add_inferred_node(OpKind::Relu, "relu", {}, {c}, {"r"})[0];
  const Attributes pool = test::max_pool2d_attrs(2, 2);
  ValueId p = g.add_inferred_node(OpKind::MaxPool, "pool", pool, {r}, {"p"})[0];
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  ValueId f = g.add_inferred_node(OpKind::Flatten, "flatten", flat, {p}, {"f"})[0];
  ValueId fw = g.add_constant("fw", random_f32({4, 27}, 3));
  ValueId fb = g.add_constant("fb", random_f32({4}, 4));
  Attributes gemm;
  gemm.set("transB", std::int64_t{1});
  ValueId y = g.add_inferred_node(OpKind::Gemm, "fc", gemm, {f, fw, fb}, {"y"})[0];
  Attributes sm;
  sm.set("axes", std::vector<std::int64_t>{1});
  g.add_output(g.add_inferred_node(OpKind::Softmax, "softmax", sm, {y}, {"probs"})[0]);
  return g;
}

TEST(ForwardExecutor, BatchedRunEqualsSingleRunsAndDtypesAgree) {
  Graph g = small_cnn();
  const std::int64_t batch = 3;
  for (DType dt : {DType::F32, DType::F64}) {
    ForwardOptions opt;
    opt.compute = dt;
    opt.batch = batch;
    Tensor xs = random_f32({batch, 1, 2, 6, 6}, 10);
    const auto all = run_forward(g, {xs}, opt)[0].to_double_vector();
    ASSERT_EQ(all.size(), static_cast<std::size_t>(batch * 4));
    opt.batch = 1;
    for (std::int64_t s = 0; s < batch; ++s) {
      std::vector<float> one(xs.data<float>() + s * 72, xs.data<float>() + (s + 1) * 72);
      const auto y = run_forward(g, {Tensor::from_vector<float>({1, 2, 6, 6}, one)}, opt)[0].to_double_vector();
      for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_NEAR(all[static_cast<std::size_t>(s) * 4 + i], y[i], 1e-6) << dtype_name(dt) << " sample " << s;
      }
    }
  }
  Tensor x = random_f32({1, 2, 6, 6}, 11);
  ForwardOptions f64;
  f64.compute = DType::F64;
  const auto y32 = run_forward(g, {x})[0].to_double_vector();
  const auto y64 = run_forward(g, {x}, f64)[0].to_double_vector();
  for (std::size_t i = 0; i < y32.size(); ++i) EXPECT_NEAR(y32[i], y64[i], 1e-6);
}

TEST(ForwardExecutor, IntegerValuesKeepTheirDtype) {
  // Integer inputs are passed as they are, whatever the compute dtype.
  Graph g;
  ValueId x = g.add_input("x", {DType::I64, {2}});
  ValueId c = g.add_constant("c", Tensor::from_vector<std::int64_t>({2}, {3, 4}));
  g.add_output(g.add_inferred_node(OpKind::Mul, "mul", {}, {x, c}, {"y"})[0]);
  ForwardOptions opt;
  opt.compute = DType::F64;
  auto y = run_forward(g, {Tensor::from_vector<std::int64_t>({2}, {5, 6})}, opt);
  EXPECT_EQ(y[0].to_vector<std::int64_t>(), (std::vector<std::int64_t>{15, 24}));
}

}  // namespace
}  // namespace bf
