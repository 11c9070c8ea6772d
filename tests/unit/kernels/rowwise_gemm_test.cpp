#include "kernels/rowwise_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace bf {
namespace {

struct Sizes {
  std::int64_t m, k, n;
};

// Each element as the contract says: one fma chain in ascending k.
std::vector<float> fma_chain(const Sizes& s, const std::vector<float>& a, const std::vector<float>& b,
                             const std::vector<float>& c0, bool accumulate) {
  std::vector<float> c(static_cast<std::size_t>(s.m * s.n));
  for (std::int64_t i = 0; i < s.m; ++i) {
    for (std::int64_t j = 0; j < s.n; ++j) {
      float acc = accumulate ? c0[static_cast<std::size_t>(i * s.n + j)] : 0.0f;
      for (std::int64_t kk = 0; kk < s.k; ++kk) {
        acc = std::fma(a[static_cast<std::size_t>(i * s.k + kk)], b[static_cast<std::size_t>(kk * s.n + j)], acc);
      }
      c[static_cast<std::size_t>(i * s.n + j)] = acc;
    }
  }
  return c;
}

bool same_bits(const std::vector<float>& x, const std::vector<float>& y) {
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

class RowwiseGemm : public ::testing::TestWithParam<Sizes> {};

// Both paths (AVX-512 where the machine has it, and AVX2) give the bits of
// the plain fma chain, and a row's bits do not depend on the rows beside it.
TEST_P(RowwiseGemm, EveryElementIsOneFmaChainWhateverTheRowsAround) {
  const Sizes s = GetParam();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> a(static_cast<std::size_t>(s.m * s.k)), b(static_cast<std::size_t>(s.k * s.n)),
      c0(static_cast<std::size_t>(s.m * s.n));
  for (auto& v : a) v = d(rng);
  for (auto& v : b) v = d(rng);
  for (auto& v : c0) v = d(rng);
  std::vector<float> packed(static_cast<std::size_t>(packed_b_floats(s.k, s.n)));
  pack_b(b.data(), s.n, s.k, s.n, nullptr, packed.data());
  for (bool accumulate : {false, true}) {
    const std::vector<float> want = fma_chain(s, a, b, c0, accumulate);
    std::vector<float> got = c0, got2 = c0;
    rowwise_gemm(s.m, s.k, s.n, a.data(), s.k, packed.data(), got.data(), s.n, accumulate);
    detail::rowwise_gemm_avx2(s.m, s.k, s.n, a.data(), s.k, packed.data(), got2.data(), s.n, accumulate);
    EXPECT_TRUE(same_bits(want, got)) << "dispatched path, accumulate " << accumulate;
    EXPECT_TRUE(same_bits(want, got2)) << "AVX2 path, accumulate " << accumulate;
    // Row by row: the same bits.
    std::vector<float> one = c0;
    for (std::int64_t i = 0; i < s.m; ++i) {
      rowwise_gemm(1, s.k, s.n, a.data() + i * s.k, s.k, packed.data(), one.data() + i * s.n, s.n, accumulate);
    }
    EXPECT_TRUE(same_bits(want, one)) << "one row at a time, accumulate " << accumulate;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, RowwiseGemm,
                         ::testing::Values(Sizes{1, 1, 1}, Sizes{7, 5, 3}, Sizes{13, 300, 17}, Sizes{100, 40, 33},
                                           Sizes{97, 520, 48}, Sizes{9, 16, 16}));

// Packing a subset of B's rows equals packing B with those rows only.
TEST(RowwiseGemm, PackingChosenRowsTakesThoseRowsInOrder) {
  const std::int64_t n = 20;
  std::vector<float> b(static_cast<std::size_t>(6 * n));
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i);
  const std::vector<std::int64_t> rows = {4, 1, 5};
  std::vector<float> sub;
  for (std::int64_t r : rows) sub.insert(sub.end(), b.begin() + r * n, b.begin() + (r + 1) * n);
  std::vector<float> p1(static_cast<std::size_t>(packed_b_floats(3, n)), -1.0f), p2 = p1;
  pack_b(b.data(), n, 3, n, rows.data(), p1.data());
  pack_b(sub.data(), n, 3, n, nullptr, p2.data());
  EXPECT_TRUE(same_bits(p1, p2));
}

}  // namespace
}  // namespace bf
