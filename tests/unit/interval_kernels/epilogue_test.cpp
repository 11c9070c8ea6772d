// Fused epilogues against the reference activations (bf::eval_op on the activation
// node): bit-identical on every value class, NaN, infinities, signed zeros and
// subnormals included, in the vector body and the scalar tail alike.
#include "kernels/interval/epilogue.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <limits>

#include "interval_reference.h"

namespace bf {
namespace {

using test::fusable_activations;

// Special values first, then random ones of every magnitude; 8k + 5 elements so
// both the eight-lane body and the scalar tail run.
std::vector<float> probe_values() {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f,
                          -0.0f,
                          kInf,
                          -kInf,
                          std::numeric_limits<float>::quiet_NaN(),
                          -std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::min(),
                          -std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::max(),
                          -0.25f,
                          0.5f,
                          -0.5f,
                          0.25f,
                          88.7f,
                          -88.7f,
                          -104.0f,
                          20.0f,
                          -20.0f};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-30, 8);
  while (v.size() < 8 * 40 + 5) v.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  return v;
}

bool same_bits(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }

::testing::AssertionResult bitwise_equal(const std::vector<float>& got, const std::vector<float>& want,
                                         const std::vector<float>& input) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    // NaN payloads are not part of the contract; NaN-ness is.
    const bool ok = std::isnan(want[i]) ? std::isnan(got[i]) : same_bits(got[i], want[i]);
    if (!ok) {
      return ::testing::AssertionFailure()
             << "element " << i << " (input " << input[i] << "): " << got[i] << " vs reference " << want[i];
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(Epilogue, ApplyMatchesReferenceActivationBitForBit) {
  const std::vector<float> x = probe_values();
  const Shape shape{static_cast<std::int64_t>(x.size())};
  for (const auto& act : fusable_activations()) {
    if (!act) continue;
    SCOPED_TRACE(test::activation_label(act));
    std::vector<float> want = x;
    test::reference_activation(*act, shape, 1, want);
    std::vector<float> got = x;
    apply_epilogue(epilogue_from_node(*act), got.data(), static_cast<std::int64_t>(got.size()));
    EXPECT_TRUE(bitwise_equal(got, want, x));
  }
}

TEST(Epilogue, NoneLeavesDataUntouched) {
  const std::vector<float> x = probe_values();
  std::vector<float> got = x;
  apply_epilogue(Epilogue::none(), got.data(), static_cast<std::int64_t>(got.size()));
  EXPECT_EQ(0, std::memcmp(got.data(), x.data(), x.size() * sizeof(float)));
}

TEST(Epilogue, CentreRadiusRoundTripMatchesReferenceFormulas) {
  const test::Box box = test::random_box(8 * 7 + 3, 11);
  const auto n = static_cast<std::int64_t>(box.lower.size());
  std::vector<float> c(box.lower.size()), r(box.lower.size());
  bounds_to_centre_radius(box.lower.data(), box.upper.data(), c.data(), r.data(), n);
  for (std::size_t i = 0; i < c.size(); ++i) {
    // The reference rule's own expressions (bound/interval_ops.cpp).
    EXPECT_TRUE(same_bits(c[i], (box.upper[i] + box.lower[i]) / 2.0f)) << i;
    EXPECT_TRUE(same_bits(r[i], (box.upper[i] - box.lower[i]) / 2.0f)) << i;
  }
  for (const auto& act : fusable_activations()) {
    SCOPED_TRACE(test::activation_label(act));
    std::vector<float> want_lo(c.size()), want_hi(c.size());
    for (std::size_t i = 0; i < c.size(); ++i) {
      want_lo[i] = c[i] - r[i];
      want_hi[i] = c[i] + r[i];
    }
    if (act) {
      test::reference_activation(*act, {n}, 1, want_lo);
      test::reference_activation(*act, {n}, 1, want_hi);
    }
    std::vector<float> lo(c.size()), hi(c.size());
    centre_radius_to_bounds(test::epilogue_of(act), c.data(), r.data(), lo.data(), hi.data(), n);
    EXPECT_TRUE(bitwise_equal(lo, want_lo, c));
    EXPECT_TRUE(bitwise_equal(hi, want_hi, c));
  }
}

TEST(Epilogue, ConversionsWorkInPlace) {
  // The kernels rely on both passes accepting outputs that are their inputs.
  const test::Box box = test::random_box(29, 3);
  std::vector<float> c(box.lower.size()), r(box.lower.size());
  const auto n = static_cast<std::int64_t>(c.size());
  bounds_to_centre_radius(box.lower.data(), box.upper.data(), c.data(), r.data(), n);
  std::vector<float> a = box.lower, b = box.upper;
  bounds_to_centre_radius(a.data(), b.data(), a.data(), b.data(), n);
  EXPECT_EQ(a, c);
  EXPECT_EQ(b, r);
  std::vector<float> lo(c.size()), hi(c.size());
  centre_radius_to_bounds(Epilogue::relu(), c.data(), r.data(), lo.data(), hi.data(), n);
  centre_radius_to_bounds(Epilogue::relu(), a.data(), b.data(), a.data(), b.data(), n);
  EXPECT_EQ(a, lo);
  EXPECT_EQ(b, hi);
}

TEST(Epilogue, FromNodeReadsTheReferenceAttributes) {
  Node clip{OpKind::Clip, "clip", {}, {}, {}};
  Epilogue e = epilogue_from_node(clip);
  EXPECT_EQ(e.kind, Epilogue::Clip);
  EXPECT_EQ(e.min, -std::numeric_limits<float>::infinity());
  EXPECT_EQ(e.max, std::numeric_limits<float>::infinity());
  clip.attrs.set("min", 0.1);
  e = epilogue_from_node(clip);
  EXPECT_EQ(e.min, static_cast<float>(0.1));
  Node leaky{OpKind::LeakyRelu, "leaky", {}, {}, {}};
  leaky.attrs.set("alpha", 0.3);
  EXPECT_TRUE(is_fusable_activation(leaky));
  EXPECT_EQ(epilogue_from_node(leaky).alpha, static_cast<float>(0.3));
}

TEST(Epilogue, RejectsWhatIsNotMonotone) {
  Node leaky{OpKind::LeakyRelu, "leaky", {}, {}, {}};
  leaky.attrs.set("alpha", -0.5);
  EXPECT_FALSE(is_fusable_activation(leaky));
  EXPECT_THROW(epilogue_from_node(leaky), Error);
  EXPECT_THROW(Epilogue::leaky_relu(-1.0f), Error);
  EXPECT_THROW(Epilogue::leaky_relu(std::numeric_limits<float>::quiet_NaN()), Error);
  const Node neg{OpKind::Neg, "neg", {}, {}, {}};
  EXPECT_FALSE(is_fusable_activation(neg));
  try {
    epilogue_from_node(neg);
    ADD_FAILURE() << "Neg accepted as an epilogue";
  } catch (const Error& err) {
    EXPECT_EQ(err.kind(), ErrorKind::Unsupported);
  }
}

}  // namespace
}  // namespace bf
