// The equivalence check every pass test relies on must be able to fail: a graph
// whose weights changed by a little is reported, and exact mode sees one ulp.
#include "unit/transform/transform_test_util.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>

namespace bf {
namespace {

Graph scaled(float factor) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId k = g.add_constant("k", Tensor::from_vector<float>({3}, {1.0f * factor, 2.0f, 3.0f}));
  g.add_output(g.add_inferred_node(OpKind::Mul, "mul", {}, {x, k}, {"y"})[0]);
  return g;
}

TEST(TransformTestUtil, EquivalenceReportsADifferentGraph) {
  Graph a = scaled(1.0f), b = scaled(1.001f);
  EXPECT_NONFATAL_FAILURE(test::expect_equivalent(a, b), "output 0: 3 of 9 elements differ");
}

TEST(TransformTestUtil, ExactModeSeesOneUlp) {
  Graph a = scaled(1.0f), b = scaled(std::nextafter(1.0f, 2.0f));
  test::Equivalence eq;
  eq.exact = true;
  EXPECT_NONFATAL_FAILURE(test::expect_equivalent(a, b, eq), "not bitwise identical");
}

TEST(TransformTestUtil, EquivalentGraphsPass) {
  Graph a = scaled(1.0f), b = scaled(1.0f);
  EXPECT_EQ(test::expect_equivalent(a, b), 0.0);
}

}  // namespace
}  // namespace bf
