#include "kernels/relaxed_apply.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/rowwise_gemm.h"

namespace bf {
namespace {

using Apply = float (*)(const float*, float*, const float*, const float*, const float*, const float*, std::int64_t,
                        bool);

struct Case {
  std::vector<float> a, t0, ps, pi, ns, ni;
};

// Coefficients of both signs and exact zeros; the zeros' intercepts infinite
// (a zero coefficient must take no line: 0 * inf would be NaN).
Case random_case(std::int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Case c;
  for (std::int64_t i = 0; i < n; ++i) {
    const bool zero = i % 5 == 2;
    c.a.push_back(zero ? 0.0f : u(rng));
    c.t0.push_back(u(rng));
    c.ps.push_back(u(rng));
    c.ns.push_back(u(rng));
    c.pi.push_back(zero ? std::numeric_limits<float>::infinity() : u(rng));
    c.ni.push_back(zero ? -std::numeric_limits<float>::infinity() : u(rng));
  }
  return c;
}

void check_path(Apply apply, const char* name) {
  std::mt19937 rng(7);
  for (std::int64_t n = 0; n <= 41; ++n) {
    for (bool accumulate : {false, true}) {
      const Case c = random_case(n, rng);
      std::vector<float> t = c.t0;
      const float sum = apply(c.a.data(), t.data(), c.ps.data(), c.pi.data(), c.ns.data(), c.ni.data(), n, accumulate);
      double want = 0.0, scale = 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(i);
        const float v = c.a[k];
        const float product = v * (v > 0.0f ? c.ps[k] : c.ns[k]);
        const float expect = accumulate ? c.t0[k] + product : product;
        // One multiply (and one add) per element: exact bits on every path.
        ASSERT_EQ(std::memcmp(&t[k], &expect, sizeof(float)), 0)
            << name << " n " << n << " element " << i << ": " << t[k] << " vs " << expect;
        if (v != 0.0f) {
          const double term = static_cast<double>(v) * (v > 0.0f ? c.pi[k] : c.ni[k]);
          want += term;
          scale += std::fabs(term);
        }
      }
      ASSERT_TRUE(std::isfinite(sum)) << name << " n " << n;
      EXPECT_NEAR(sum, want, 1e-6 * scale + 1e-7) << name << " n " << n;
    }
  }
}

TEST(RelaxedApply, EachPathTakesTheSideLineAndSkipsZeroCoefficients) {
  check_path(&relaxed_apply, has_avx512() ? "avx512" : "avx2");
  check_path(&detail::relaxed_apply_avx2, "avx2");
}

// A NaN coefficient is not hidden: it reaches t and the sum on both paths.
TEST(RelaxedApply, NanCoefficientPropagates) {
  for (Apply apply : {Apply{&relaxed_apply}, Apply{&detail::relaxed_apply_avx2}}) {
    for (std::int64_t n : {3, 8, 17}) {
      std::vector<float> a(static_cast<std::size_t>(n), 0.5f), t(static_cast<std::size_t>(n), 0.0f),
          one(static_cast<std::size_t>(n), 1.0f);
      a[static_cast<std::size_t>(n - 1)] = std::numeric_limits<float>::quiet_NaN();
      const float sum = apply(a.data(), t.data(), one.data(), one.data(), one.data(), one.data(), n, false);
      EXPECT_TRUE(std::isnan(sum)) << n;
      EXPECT_TRUE(std::isnan(t[static_cast<std::size_t>(n - 1)])) << n;
      EXPECT_EQ(t[0], 0.5f) << n;
    }
  }
}

}  // namespace
}  // namespace bf
