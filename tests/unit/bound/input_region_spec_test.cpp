#include <gtest/gtest.h>

#include <cmath>

#include "bound/input_region.h"
#include "bound/linear_spec.h"

namespace bf {
namespace {

TEST(InputRegion, LinfBallInFloat32LikeAutoLirpa) {
  InputRegion r = linf_ball({0.1, 0.5, 0.9, 0.3}, 0.2, {1, 2}, DType::F32, std::make_pair(0.0, 1.0));
  EXPECT_EQ(r.batch, 2);
  EXPECT_EQ(r.lower.to_vector<float>()[0], 0.1f - 0.2f < 0.0f ? 0.0f : 0.1f - 0.2f);
  EXPECT_EQ(r.upper.to_vector<float>()[2], 1.0f);
  EXPECT_EQ(r.lower.to_vector<float>()[1], 0.5f - 0.2f);
}

TEST(InputRegion, RejectsUnboundedAndEmptyBoxes) {
  EXPECT_THROW(input_box({0.0, -INFINITY}, {1.0, 1.0}, {2}, DType::F32), Error);
  EXPECT_THROW(input_box({0.0, 2.0}, {1.0, 1.0}, {2}, DType::F32), Error);
  EXPECT_THROW(input_box({0.0}, {1.0}, {2}, DType::F32), Error);
  EXPECT_THROW(linf_ball({0.0, 0.0}, -1.0, {2}, DType::F32), Error);
  EXPECT_THROW(linf_ball({0.0, NAN}, 0.1, {2}, DType::F32), Error);
}

Graph two_layer() {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 2}});
  ValueId w = g.add_constant("w", Tensor::from_vector<float>({3, 2}, {1, 2, 3, 4, 5, 6}));
  ValueId b = g.add_constant("b", Tensor::from_vector<float>({3}, {1, 0, -1}));
  ValueId y = g.add_inferred_node(OpKind::Affine, "fc", {}, {x, w, b}, {"y"})[0];
  g.add_output(y);
  return g;
}

// An outward box in f32 contains the box as given, and stays the same box
// where the values are floats already.
TEST(InputRegion, Float32BoxesAreRoundedOutward) {
  const std::vector<double> lo = {0.1, -0.3, 0.5, 1.0 / 3.0}, hi = {0.2, -0.1, 0.75, 0.7};
  const InputRegion r = input_box(lo, hi, {1, 4}, DType::F32, /*outward=*/true);
  const auto rl = r.lower.to_double_vector(), ru = r.upper.to_double_vector();
  for (std::size_t i = 0; i < lo.size(); ++i) {
    EXPECT_LE(rl[i], lo[i]) << i;
    EXPECT_GE(ru[i], hi[i]) << i;
    EXPECT_EQ(rl[i], static_cast<double>(static_cast<float>(rl[i])));
  }
  EXPECT_EQ(rl[2], 0.5);  // exact values are kept
  EXPECT_EQ(ru[2], 0.75);
  EXPECT_LT(rl[0], 0.1);  // 0.1f is above 0.1: one float lower
  EXPECT_EQ(ru[0], static_cast<double>(0.2f) >= 0.2 ? static_cast<double>(0.2f)
                                                    : static_cast<double>(std::nextafter(0.2f, 1.0f)));
}

TEST(LinearSpec, AppendsOrFuses) {
  Graph g = two_layer();
  Tensor c = Tensor::from_vector<float>({1, 3}, {1, -1, 0});
  auto appended = with_linear_spec(g, c, false);
  EXPECT_EQ(appended->nodes().size(), 2u);
  EXPECT_EQ(appended->type(appended->outputs()[0]).shape, (Shape{1, 1}));
  auto fused = with_linear_spec(g, c, true);
  ASSERT_EQ(fused->nodes().size(), 1u);
  const Node& n = fused->nodes()[0];
  // C·W = [1-3, 2-4] = [-2, -2]; C·b = 1 - 0 = 1.
  EXPECT_EQ(fused->constant(n.inputs[1]).to_vector<float>(), (std::vector<float>{-2, -2}));
  EXPECT_EQ(fused->constant(n.inputs[2]).to_vector<float>(), (std::vector<float>{1}));
}

TEST(LinearSpec, RejectsWrongWidth) {
  Graph g = two_layer();
  EXPECT_THROW(with_linear_spec(g, Tensor(DType::F32, {2, 4}), false), Error);
}

}  // namespace
}  // namespace bf
