// The inline, branch-free outward rounding against std::nextafter's
// definition: the nearest float at or below (above) a double, on random
// doubles across the float range and on the special values.
#include "support/outward_round.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace bf {
namespace {

float reference_down(double v) {
  float t = static_cast<float>(v);
  if (static_cast<double>(t) > v) t = std::nextafter(t, -std::numeric_limits<float>::infinity());
  return t;
}
float reference_up(double v) {
  float t = static_cast<float>(v);
  if (static_cast<double>(t) < v) t = std::nextafter(t, std::numeric_limits<float>::infinity());
  return t;
}

std::vector<double> probes() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0,
                           -0.0,
                           kInf,
                           -kInf,
                           1.0,
                           -1.0,
                           0.1,
                           -0.1,
                           static_cast<double>(std::numeric_limits<float>::max()),
                           static_cast<double>(std::numeric_limits<float>::max()) * (1.0 + 1e-12),
                           -static_cast<double>(std::numeric_limits<float>::max()) * (1.0 + 1e-12),
                           static_cast<double>(std::numeric_limits<float>::denorm_min()) * 0.5,
                           -static_cast<double>(std::numeric_limits<float>::denorm_min()) * 0.5,
                           1e-300,
                           -1e-300,
                           1e300,
                           -1e300};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mant(-1.0, 1.0);
  std::uniform_int_distribution<int> exp2(-160, 130);
  for (int i = 0; i < 200000; ++i) v.push_back(std::ldexp(mant(rng), exp2(rng)));
  return v;
}

TEST(OutwardRound, MatchesNextafterDefinition) {
  for (double v : probes()) {
    EXPECT_EQ(std::bit_cast<std::uint32_t>(round_down<float>(v)), std::bit_cast<std::uint32_t>(reference_down(v))) << v;
    EXPECT_EQ(std::bit_cast<std::uint32_t>(round_up<float>(v)), std::bit_cast<std::uint32_t>(reference_up(v))) << v;
    EXPECT_LE(static_cast<double>(round_down<float>(v)), v);
    EXPECT_GE(static_cast<double>(round_up<float>(v)), v);
  }
}

TEST(OutwardRound, NaNStaysNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(round_down<float>(nan)));
  EXPECT_TRUE(std::isnan(round_up<float>(nan)));
  EXPECT_TRUE(std::isnan(next_down<double>(nan)));
}

TEST(OutwardRound, NextDownAndUpAreNeighbours) {
  for (double v : probes()) {
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(std::bit_cast<std::uint64_t>(next_down<double>(v)), std::bit_cast<std::uint64_t>(std::nextafter(v, -inf)))
        << v;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(next_up<double>(v)), std::bit_cast<std::uint64_t>(std::nextafter(v, inf)))
        << v;
  }
}

}  // namespace
}  // namespace bf
