// The exact arithmetic the rounding tests rest on, and the exact maxima of
// their networks, checked against independent computations: error-free
// transformations of doubles (TwoSum, TwoProduct by fma) and, for five
// inputs, every vertex of the box.
#include "dyadic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "exact_net.h"
#include "networks.h"
#include "rounding_cases.h"

namespace bf::test {
namespace {

double random_double(std::mt19937_64& g) {
  std::uniform_real_distribution<double> mant(-1.0, 1.0);
  std::uniform_int_distribution<int> ex(-80, 80);
  return std::ldexp(mant(g), ex(g));
}

TEST(Dyadic, RoundTripsDoublesAndFloats) {
  std::mt19937_64 g(1);
  for (int k = 0; k < 2000; ++k) {
    const double d = random_double(g);
    EXPECT_EQ(Dyadic(d).to_double(), d);
    EXPECT_EQ(Dyadic::of_float(static_cast<float>(d)).to_double(), static_cast<double>(static_cast<float>(d)));
  }
  for (double d : {0.0, -0.0, 1.0, -1.0, 0.5000445, 1e-300, -1e300, std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::max()})
    EXPECT_EQ(Dyadic(d).to_double(), d) << d;
  EXPECT_TRUE(Dyadic(-0.0).is_zero());
  EXPECT_THROW(Dyadic(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_THROW(Dyadic(std::numeric_limits<double>::infinity()), std::invalid_argument);
}

TEST(Dyadic, SumsAndProductsAreExact) {
  std::mt19937_64 g(2);
  for (int k = 0; k < 5000; ++k) {
    const double a = random_double(g), b = random_double(g);
    // TwoSum: a + b == s + e exactly.
    const double s = a + b, bb = s - a, e = (a - (s - bb)) + (b - bb);
    EXPECT_EQ(Dyadic(a) + Dyadic(b), Dyadic(s) + Dyadic(e)) << a << " " << b;
    EXPECT_EQ(Dyadic(a) - Dyadic(-b), Dyadic(s) + Dyadic(e));
    // TwoProduct: a * b == p + fma(a, b, -p) exactly.
    const double p = a * b, pe = std::fma(a, b, -p);
    EXPECT_EQ(Dyadic(a) * Dyadic(b), Dyadic(p) + Dyadic(pe)) << a << " " << b;
    EXPECT_EQ((Dyadic(a) + Dyadic(b)) - Dyadic(b), Dyadic(a));
    EXPECT_EQ(compare(Dyadic(a), Dyadic(b)), a < b ? -1 : a > b ? 1 : 0);
    EXPECT_EQ((Dyadic(a) * Dyadic(b)).sign(), p < 0 ? -1 : p > 0 ? 1 : 0);
  }
  // Wildly different magnitudes survive exactly.
  const Dyadic big(1e300), tiny(1e-300);
  EXPECT_EQ((big + tiny) - big, tiny);
  EXPECT_GT(big + tiny, big);
  EXPECT_EQ((big + tiny).to_double(), 1e300);
  // Neighbouring doubles are ordered, and so are values between them.
  const double one_up = std::nextafter(1.0, 2.0);
  EXPECT_LT(Dyadic(1.0), Dyadic(one_up));
  const Dyadic half_ulp = Dyadic(std::ldexp(1.0, -53));
  EXPECT_LT(Dyadic(1.0), Dyadic(1.0) + half_ulp);
  EXPECT_LT(Dyadic(1.0) + half_ulp, Dyadic(one_up));
  // Rounding to double: ties to even, else to nearest.
  EXPECT_EQ((Dyadic(1.0) + half_ulp).to_double(), 1.0);
  EXPECT_EQ((Dyadic(1.0) + half_ulp + Dyadic(std::ldexp(1.0, -200))).to_double(), one_up);
  EXPECT_EQ((Dyadic(one_up) + half_ulp).to_double(), std::nextafter(one_up, 2.0));
  EXPECT_EQ((Dyadic(1.0) + half_ulp).str().substr(0, 1), "~");
  EXPECT_EQ(Dyadic(0.25).str(), "0.25");
}

// The exact maximum of each test network: attained at the point it names,
// never exceeded at random points of the box nor along lines through that
// point, and (five inputs) equal to the largest value over all 32 vertices
// when every hinge is convex (at least that value otherwise).
TEST(ExactNet, MaximaAreAttainedAndNeverExceeded) {
  std::mt19937_64 g(3);
  for (const NetSpec& spec : rounding_networks()) {
    const ExactNet net = make_net(spec);
    const ExactAnalysis a = analyse_y0(net);
    const auto n = static_cast<std::size_t>(net.n);
    EXPECT_EQ(exact_forward(net, a.argmax)[0], a.max) << net.name;
    // f64 agrees with the exact value to f64 rounding.
    EXPECT_NEAR(f64_forward(net, a.argmax)[0], a.max.to_double(), 1e-9) << net.name;
    for (int k = 0; k < 50; ++k) {
      std::vector<double> x(n);
      for (std::size_t i = 0; i < n; ++i) {
        const double r = std::uniform_real_distribution<double>(0.0, 1.0)(g);
        x[i] = k % 2 == 0 ? net.lower[i] + r * (double(net.upper[i]) - net.lower[i])  // inside
                          : (r < 0.5 ? net.lower[i] : net.upper[i]);                  // a vertex
      }
      EXPECT_LE(exact_forward(net, x)[0], a.max) << net.name << " point " << k;
    }
    // Along each coordinate through the argmax (the others fixed): never above
    // M (41 points per side, and its own value plus and minus a few ulps).
    // Large inputs: the coordinates of single-input units and every 32nd.
    const std::vector<Dyadic> pre = exact_first_layer(net, a.argmax);
    const DenseLayer& first = net.layers[0];
    std::vector<bool> check(n, n <= 50);
    for (std::size_t i = 0; i < n; i += 32) check[i] = true;
    for (std::int64_t o = 0; o < first.out; ++o) {
      std::size_t nonzero = 0, at = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (first.w[static_cast<std::size_t>(o * first.in) + i] != 0.0f) ++nonzero, at = i;
      if (nonzero == 1) check[at] = true;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!check[i]) continue;
      std::vector<double> xs;
      for (int k = 0; k <= 40; ++k) xs.push_back(net.lower[i] + (double(net.upper[i]) - net.lower[i]) * k / 40.0);
      for (double v = a.argmax[i], k = 0; k < 3; ++k) xs.push_back(v = std::nextafter(v, 2.0));
      for (double v = a.argmax[i], k = 0; k < 3; ++k) xs.push_back(v = std::nextafter(v, -2.0));
      for (double v : xs) {
        if (!(v >= net.lower[i] && v <= net.upper[i])) continue;
        const Dyadic dx = Dyadic(v) - Dyadic(a.argmax[i]);
        std::vector<Dyadic> p = pre;
        for (std::int64_t o = 0; o < first.out; ++o) {
          const float w = first.w[static_cast<std::size_t>(o * first.in) + i];
          if (w != 0.0f) p[static_cast<std::size_t>(o)] += Dyadic::of_float(w) * dx;
        }
        EXPECT_LE(exact_forward_rest(net, std::move(p))[0], a.max) << net.name << " coordinate " << i << " at " << v;
      }
    }
    if (n <= 10) {
      Dyadic best;
      bool first = true;
      for (std::size_t mask = 0; mask < (std::size_t{1} << n); ++mask) {
        std::vector<double> x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = (mask >> i) & 1u ? net.upper[i] : net.lower[i];
        const Dyadic y = exact_forward(net, x)[0];
        if (first || y > best) best = y;
        first = false;
      }
      if (spec.concave)
        EXPECT_LE(best, a.max) << net.name;
      else
        EXPECT_EQ(best, a.max) << net.name;
    }
  }
}

}  // namespace
}  // namespace bf::test
