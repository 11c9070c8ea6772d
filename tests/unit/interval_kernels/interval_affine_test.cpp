// IntervalAffineF32 against the reference rule (ibp_eval_op on an Affine node,
// then the reference activation): every row count of interest, both variants,
// awkward K and N, with and without bias, every fusable activation.
#include "kernels/interval/interval_affine.h"

#include <gtest/gtest.h>
#include <omp.h>

#include "interval_reference.h"

namespace bf {
namespace {

using test::Box;
using Variant = IntervalAffineF32::Variant;

Node affine_node() { return Node{OpKind::Affine, "affine", {}, {1, 2, 3}, {4}}; }

struct AffineCase {
  std::int64_t batch, rows_per_sample, k, n;
};

// Runs the kernel on `in` (batch x rows_per_sample rows of K).
Box run_kernel(const IntervalAffineF32& kernel, const Box& in) {
  const auto out_n = static_cast<std::size_t>(kernel.rows() * kernel.out_features());
  Box out{std::vector<float>(out_n), std::vector<float>(out_n)};
  test::AlignedBuffer scratch(kernel.scratch_bytes());
  kernel.run(in.lower.data(), in.upper.data(), out.lower.data(), out.upper.data(), scratch.data());
  return out;
}

void check_case(const AffineCase& c, bool with_bias, Variant variant, std::uint32_t seed) {
  const std::int64_t rows = c.batch * c.rows_per_sample;
  const Tensor w = test::random_weights({c.n, c.k}, seed, 1.0 / std::sqrt(static_cast<double>(c.k)));
  const Tensor b = test::random_weights({c.n}, seed + 1, 0.5);
  const Tensor* bias = with_bias ? &b : nullptr;
  const Box in = test::random_box(rows * c.k, seed + 2);
  const Shape x_shape{c.rows_per_sample, c.k};
  for (const auto& act : test::fusable_activations()) {
    SCOPED_TRACE("activation " + test::activation_label(act));
    const IntervalAffineF32 kernel(w, bias, rows, test::epilogue_of(act), variant);
    const Box want = test::reference_bounds(affine_node(), x_shape, w, bias, c.batch, in, act);
    const Box got = run_kernel(kernel, in);
    EXPECT_TRUE(test::planes_close(got.lower, want.lower)) << "lower, " << kernel.variant();
    EXPECT_TRUE(test::planes_close(got.upper, want.upper)) << "upper, " << kernel.variant();
  }
}

// M = batch x rows_per_sample covers 1, 2, 3, 4, 5, 17 and 64; K and N are not
// multiples of 8 or 16 except where a full-width case is wanted.
const std::vector<AffineCase> kCases = {
    {1, 1, 13, 7},   {2, 1, 37, 19},  {1, 3, 100, 33}, {4, 1, 9, 1},    {1, 5, 31, 6},
    {17, 1, 50, 21}, {16, 4, 75, 11}, {1, 1, 1, 5},    {3, 1, 784, 29}, {64, 1, 33, 64},
};

TEST(IntervalAffine, AutoVariantMatchesReferenceRule) {
  std::uint32_t seed = 100;
  for (const auto& c : kCases) {
    for (bool with_bias : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "M=" << c.batch * c.rows_per_sample << " K=" << c.k << " N=" << c.n
                                        << (with_bias ? " bias" : " no bias"));
      check_case(c, with_bias, Variant::Auto, seed += 3);
    }
  }
}

const char* variant_label(Variant v) {
  return v == Variant::Rowwise ? " rowwise" : v == Variant::Gemv ? " gemv" : " matmul";
}

TEST(IntervalAffine, EveryVariantMatchesReferenceRuleAtEveryRowCount) {
  std::uint32_t seed = 500;
  for (const auto& c : kCases) {
    for (Variant v : {Variant::Rowwise, Variant::Gemv, Variant::Matmul}) {
      SCOPED_TRACE(::testing::Message() << "M=" << c.batch * c.rows_per_sample << " K=" << c.k << " N=" << c.n
                                        << variant_label(v));
      check_case(c, true, v, seed += 3);
    }
  }
}

TEST(IntervalAffine, AutoGivesEachRowTheSameBitsWhateverTheRowCount) {
  // A batch split to fit a memory budget must not change a bit: row i of an
  // M-row run equals the same row run alone.
  for (const Shape& ws : {Shape{10, 20}, Shape{256, 784}, Shape{33, 70}}) {
    const Tensor w = test::random_weights(ws, 1, 0.2);
    const Tensor b = test::random_weights({ws[0]}, 2, 0.2);
    const std::int64_t k = ws[1], n = ws[0];
    for (std::int64_t m : {2, 5, 64, 200}) {
      const IntervalAffineF32 all(w, &b, m, Epilogue::relu());
      EXPECT_EQ(all.variant(), "rowwise");
      EXPECT_GT(all.prepared_bytes(), 0);
      EXPECT_GT(all.scratch_bytes(), 0);
      const IntervalAffineF32 one(w, &b, 1, Epilogue::relu());
      const Box in = test::random_box(m * k, 3);
      const Box got = run_kernel(all, in);
      for (std::int64_t i = 0; i < m; i += 7) {
        Box row;
        row.lower.assign(in.lower.begin() + i * k, in.lower.begin() + (i + 1) * k);
        row.upper.assign(in.upper.begin() + i * k, in.upper.begin() + (i + 1) * k);
        const Box alone = run_kernel(one, row);
        for (std::int64_t j = 0; j < n; ++j) {
          ASSERT_EQ(got.lower[static_cast<std::size_t>(i * n + j)], alone.lower[static_cast<std::size_t>(j)])
              << "W " << shape_str(ws) << " M=" << m << " row " << i << " col " << j;
          ASSERT_EQ(got.upper[static_cast<std::size_t>(i * n + j)], alone.upper[static_cast<std::size_t>(j)])
              << "W " << shape_str(ws) << " M=" << m << " row " << i << " col " << j;
        }
      }
    }
  }
}

TEST(IntervalAffine, OutputsMayOverwriteInputs) {
  // K == N so the output planes fit exactly where the inputs were.
  const Tensor w = test::random_weights({24, 24}, 4, 0.2);
  const Tensor b = test::random_weights({24}, 5, 0.2);
  for (std::int64_t m : {1, 64}) {
    const IntervalAffineF32 kernel(w, &b, m, Epilogue::relu());
    Box box = test::random_box(m * 24, 6);
    const Box want = run_kernel(kernel, box);
    test::AlignedBuffer scratch(kernel.scratch_bytes());
    kernel.run(box.lower.data(), box.upper.data(), box.lower.data(), box.upper.data(), scratch.data());
    EXPECT_EQ(box.lower, want.lower) << kernel.variant();
    EXPECT_EQ(box.upper, want.upper) << kernel.variant();
  }
}

TEST(IntervalAffine, TwoThreadsGiveTheSerialBits) {
  // Large enough for the kernels to split their work over threads; every output
  // is still one thread's sum, so the bits cannot change.
  const Tensor w = test::random_weights({256, 784}, 14, 0.03);
  const Tensor b = test::random_weights({256}, 15, 0.5);
  for (Variant v : {Variant::Rowwise, Variant::Gemv}) {
    for (std::int64_t m : {2, 200}) {
      const Box in = test::random_box(m * 784, 16);
      const IntervalAffineF32 kernel(w, &b, m, Epilogue::relu(), v);
      const int threads = omp_get_max_threads();
      omp_set_num_threads(1);
      const Box serial = run_kernel(kernel, in);
      omp_set_num_threads(2);
      const Box parallel = run_kernel(kernel, in);
      omp_set_num_threads(threads);
      EXPECT_EQ(serial.lower, parallel.lower) << kernel.variant() << " M=" << m;
      EXPECT_EQ(serial.upper, parallel.upper) << kernel.variant() << " M=" << m;
    }
  }
}

TEST(IntervalAffine, RepeatedRunsGiveIdenticalBits) {
  // Prepared state is read-only: the hundredth run equals the first.
  const Tensor w = test::random_weights({40, 70}, 8, 0.1);
  for (std::int64_t m : {1, 3, 64}) {
    const IntervalAffineF32 kernel(w, nullptr, m, Epilogue::tanh());
    const Box in = test::random_box(m * 70, 9);
    const Box first = run_kernel(kernel, in);
    Box last;
    for (int i = 0; i < 100; ++i) last = run_kernel(kernel, in);
    EXPECT_EQ(first.lower, last.lower);
    EXPECT_EQ(first.upper, last.upper);
  }
}

TEST(IntervalAffine, NonFiniteInputsPropagateLikeTheReference) {
  // An infinite input bound gives infinite or NaN output bounds, never finite ones.
  const Tensor w = test::random_weights({5, 9}, 12, 0.5);
  for (Variant v : {Variant::Rowwise, Variant::Gemv, Variant::Matmul}) {
    Box in = test::random_box(2 * 9, 13);
    in.upper[3] = std::numeric_limits<float>::infinity();
    const IntervalAffineF32 kernel(w, nullptr, 2, Epilogue::none(), v);
    const Box got = run_kernel(kernel, in);
    const Box want = test::reference_bounds(affine_node(), {9}, w, nullptr, 2, in, std::nullopt);
    EXPECT_TRUE(test::planes_close(got.lower, want.lower)) << kernel.variant();
    EXPECT_TRUE(test::planes_close(got.upper, want.upper)) << kernel.variant();
  }
}

TEST(IntervalAffine, EmptyShapesNeedNoOneDnn) {
  // K = 0: every output is its bias (oneDNN rejects empty matrices; the gemv handles them).
  const Tensor w(DType::F32, {3, 0});
  const Tensor b = test::random_weights({3}, 17, 1.0);
  const IntervalAffineF32 kernel(w, &b, 2, Epilogue::relu(), Variant::Matmul);
  EXPECT_EQ(kernel.variant(), "gemv_avx2");
  const Box got = run_kernel(kernel, Box{});
  for (std::size_t i = 0; i < got.lower.size(); ++i) {
    const float want = std::max(b.data<float>()[i % 3], 0.0f);
    EXPECT_EQ(got.lower[i], want) << i;
    EXPECT_EQ(got.upper[i], want) << i;
  }
  // M = 0: nothing to do, and nothing read or written.
  const IntervalAffineF32 none(test::random_weights({4, 5}, 18, 0.3), nullptr, 0, Epilogue::none());
  EXPECT_NO_THROW(none.run(nullptr, nullptr, nullptr, nullptr, nullptr));
}

TEST(IntervalAffine, RejectsWhatItCannotCompute) {
  const Tensor w64(DType::F64, {3, 4});
  EXPECT_THROW(IntervalAffineF32(w64, nullptr, 1, Epilogue::none()), Error);
  const Tensor w3(DType::F32, {3, 4, 2});
  EXPECT_THROW(IntervalAffineF32(w3, nullptr, 1, Epilogue::none()), Error);
  const Tensor w(DType::F32, {3, 4});
  const Tensor bad_bias(DType::F32, {4});
  EXPECT_THROW(IntervalAffineF32(w, &bad_bias, 1, Epilogue::none()), Error);
  const IntervalAffineF32 kernel(w, nullptr, 1, Epilogue::none());
  std::vector<float> in(4), out(3);
  EXPECT_THROW(kernel.run(in.data(), in.data(), out.data(), out.data(), nullptr), Error);
  test::AlignedBuffer scratch(kernel.scratch_bytes() + 64);
  EXPECT_THROW(kernel.run(in.data(), in.data(), out.data(), out.data(), static_cast<char*>(scratch.data()) + 4), Error);
}

}  // namespace
}  // namespace bf
