// IntervalConvF32 with NHWC bound planes: every combination of input and output plane
// layouts computes, element for element, the same bits as the all-NCHW kernel (whose
// agreement with the reference rule interval_conv_test.cpp checks, and this file
// re-checks for its random cases). The arithmetic is identical in every layout (the
// same centre-radius formulas, the same oneDNN primitive on the same [c; r] scratch,
// the same act(c' -+ r')), only where the bounds are read and written differs, so
// equality is bitwise, not within a tolerance.
#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <cstring>
#include <random>

#include "conv_case.h"
#include "interval_reference.h"
#include "kernels/interval/interval_conv.h"

namespace bf {
namespace {

using test::Box;
using Formats = IntervalConvF32::Formats;
using Layout = IntervalConvF32::PlaneLayout;
using Ints = std::vector<std::int64_t>;

using test::conv_attrs;
using test::conv_node;
using test::ConvCase;
using test::label;

const char* layout_name(Layout l) { return l == Layout::NHWC ? "nhwc" : "nchw"; }

// One plane of `images` images of [C][H][W] (shape = [N, C, H, W] per sample) to
// [H][W][C] per image, or back: written independently of the kernel, by index.
std::vector<float> to_layout(const std::vector<float>& plane, const Shape& shape, Layout from, Layout to) {
  if (from == to) return plane;
  const std::int64_t c = shape[1], pixels = shape[2] * shape[3], image = c * pixels;
  const auto images = static_cast<std::int64_t>(plane.size()) / image;
  std::vector<float> out(plane.size());
  for (std::int64_t i = 0; i < images; ++i) {
    for (std::int64_t ch = 0; ch < c; ++ch) {
      for (std::int64_t p = 0; p < pixels; ++p) {
        const std::int64_t nchw = i * image + ch * pixels + p, nhwc = i * image + p * c + ch;
        out[static_cast<std::size_t>(to == Layout::NHWC ? nhwc : nchw)] =
            plane[static_cast<std::size_t>(to == Layout::NHWC ? nchw : nhwc)];
      }
    }
  }
  return out;
}

Box to_layout(const Box& box, const Shape& shape, Layout from, Layout to) {
  return {to_layout(box.lower, shape, from, to), to_layout(box.upper, shape, from, to)};
}

Box run_kernel(const IntervalConvF32& kernel, const Box& in, std::int64_t batch) {
  const auto out_n = static_cast<std::size_t>(batch * numel(kernel.output_shape()));
  Box out{std::vector<float>(out_n), std::vector<float>(out_n)};
  test::AlignedBuffer scratch(kernel.scratch_bytes());
  kernel.run(in.lower.data(), in.upper.data(), out.lower.data(), out.upper.data(), scratch.data());
  return out;
}

// Bitwise equality of two planes, naming the first differing element.
::testing::AssertionResult same_bits(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << got.size() << " vs " << want.size();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0) {
      return ::testing::AssertionFailure() << "element " << i << ": " << got[i] << " vs " << want[i];
    }
  }
  return ::testing::AssertionSuccess();
}

const std::pair<Layout, Layout> kNhwcCombos[] = {
    {Layout::NCHW, Layout::NHWC}, {Layout::NHWC, Layout::NHWC}, {Layout::NHWC, Layout::NCHW}};

// Every layout combination against the all-NCHW kernel (itself checked against the
// reference rule), for one case and epilogue.
void check_layouts(const ConvCase& c, bool with_bias, const std::optional<Node>& act, std::uint32_t seed,
                   Formats formats = Formats::ChannelsLast) {
  const std::int64_t fan_in = c.w[1] * c.w[2] * c.w[3];
  const Tensor w = test::random_weights(c.w, seed, 1.0 / std::sqrt(static_cast<double>(fan_in)));
  const Tensor b = test::random_weights({c.w[0]}, seed + 1, 0.5);
  const Tensor* bias = with_bias ? &b : nullptr;
  const Box in = test::random_box(c.batch * numel(c.x), seed + 2);
  const Epilogue e = test::epilogue_of(act);
  const IntervalConvF32 nchw(conv_attrs(c), c.x, c.batch, w, bias, e, formats);
  const Box want = run_kernel(nchw, in, c.batch);
  const Box ref = test::reference_bounds(conv_node(c), c.x, w, bias, c.batch, in, act);
  ASSERT_TRUE(test::planes_close(want.lower, ref.lower)) << "lower, " << nchw.variant();
  ASSERT_TRUE(test::planes_close(want.upper, ref.upper)) << "upper, " << nchw.variant();
  for (auto [li, lo] : kNhwcCombos) {
    SCOPED_TRACE(std::string("planes ") + layout_name(li) + "->" + layout_name(lo));
    const IntervalConvF32 kernel(conv_attrs(c), c.x, c.batch, w, bias, e, formats, li, lo);
    EXPECT_EQ(kernel.input_layout(), li);
    EXPECT_EQ(kernel.output_layout(), lo);
    EXPECT_EQ(kernel.images_per_group(), nchw.images_per_group());
    EXPECT_EQ(kernel.scratch_bytes(), nchw.scratch_bytes());
    const Box got = to_layout(run_kernel(kernel, to_layout(in, c.x, Layout::NCHW, li), c.batch), kernel.output_shape(),
                              lo, Layout::NCHW);
    EXPECT_TRUE(same_bits(got.lower, want.lower)) << "lower, " << kernel.variant();
    EXPECT_TRUE(same_bits(got.upper, want.upper)) << "upper, " << kernel.variant();
  }
}

// Random convolutions: groups (depthwise included), strides, asymmetric pads,
// dilations, channel counts mostly not multiples of 8 (both the 8-wide and the tail
// paths of the passes), several images per sample, batches.
ConvCase random_case(std::mt19937& rng) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const std::int64_t channel_choices[] = {1, 3, 5, 8, 11, 13, 16, 19, 21, 24};
  ConvCase c;
  const std::int64_t group = std::array<std::int64_t, 4>{1, 1, 2, 3}[static_cast<std::size_t>(pick(0, 3))];
  const std::int64_t cin_g = channel_choices[pick(0, 9)], cout_g = channel_choices[pick(0, 9)];
  const bool depthwise = pick(0, 5) == 0;
  c.group = depthwise ? cin_g : group;
  const std::int64_t cin = depthwise ? cin_g : group * cin_g, cout = depthwise ? cin_g : group * cout_g;
  const std::int64_t kh = pick(1, 4), kw = pick(1, 4);
  c.strides = {pick(1, 3), pick(1, 3)};
  c.dilations = {pick(1, 2), pick(1, 2)};
  c.pads = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
  // Large enough for the dilated kernel to fit without padding.
  const std::int64_t h = (kh - 1) * c.dilations[0] + 1 + pick(0, 12), w = (kw - 1) * c.dilations[1] + 1 + pick(0, 12);
  c.x = {pick(1, 3), cin, h, w};
  c.w = {cout, cin / c.group, kh, kw};
  c.batch = pick(1, 4);
  return c;
}

TEST(IntervalConvLayouts, RandomConvsGiveTheNchwBitsInEveryLayout) {
  std::mt19937 rng(2024);
  std::uint32_t seed = 500;
  for (int i = 0; i < 40; ++i) {
    const ConvCase c = random_case(rng);
    const bool with_bias = i % 3 != 0;
    SCOPED_TRACE(label(c) + (with_bias ? " bias" : " no bias"));
    check_layouts(c, with_bias, test::fusable_activations()[static_cast<std::size_t>(i) % 8], seed += 3);
  }
}

TEST(IntervalConvLayouts, EveryActivationAndAutoFormats) {
  // 19 = 2 x 8 + 3 input channels, 13 = 8 + 5 output channels, two images per sample.
  const ConvCase c{{2, 19, 9, 9}, {13, 19, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 2};
  std::uint32_t seed = 900;
  for (const auto& act : test::fusable_activations()) {
    SCOPED_TRACE("activation " + test::activation_label(act));
    check_layouts(c, true, act, seed += 3, Formats::Auto);
  }
}

TEST(IntervalConvLayouts, BatchInUnevenGroups) {
  // Large images: the batch of 5 runs in groups, the last one smaller (two primitives);
  // 575-pixel images span more than one pixel chunk of the passes.
  const ConvCase big{{1, 32, 32, 32}, {32, 32, 4, 4}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, 5};
  const ConvCase ragged{{1, 40, 25, 23}, {36, 40, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 7};
  for (const ConvCase& c : {big, ragged}) {
    const IntervalConvF32 probe(conv_attrs(c), c.x, c.batch, test::random_weights(c.w, 1, 0.1), nullptr,
                                Epilogue::none());
    ASSERT_GT(probe.images_per_group(), 1) << label(c);
    ASSERT_NE(c.batch % probe.images_per_group(), 0) << label(c) << " " << probe.variant();
    SCOPED_TRACE(label(c));
    check_layouts(c, true, test::fusable_activations()[1], 31);
  }
}

TEST(IntervalConvLayouts, TwoThreads) {
  // Enough elements per group for the passes to split over threads.
  const ConvCase c{{1, 32, 32, 32}, {21, 32, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 3};
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  check_layouts(c, true, test::fusable_activations()[1], 41);
  omp_set_num_threads(threads);
}

TEST(IntervalConvLayouts, RunsInPlaceInEveryLayout) {
  // Same size in and out in one group; and a strided layer whose batch spans uneven
  // groups, each group's inputs read before its outputs land.
  const ConvCase same{{1, 11, 6, 6}, {11, 11, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 2};
  const ConvCase smaller{{1, 32, 32, 32}, {32, 32, 4, 4}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, 5};
  for (const ConvCase& c : {same, smaller}) {
    const Tensor w = test::random_weights(c.w, 2, 0.1);
    for (auto [li, lo] : kNhwcCombos) {
      const IntervalConvF32 kernel(conv_attrs(c), c.x, c.batch, w, nullptr, Epilogue::relu(), Formats::ChannelsLast, li,
                                   lo);
      Box box = test::random_box(c.batch * numel(c.x), 3);
      const Box want = run_kernel(kernel, box, c.batch);
      test::AlignedBuffer scratch(kernel.scratch_bytes());
      kernel.run(box.lower.data(), box.upper.data(), box.lower.data(), box.upper.data(), scratch.data());
      box.lower.resize(want.lower.size());
      box.upper.resize(want.upper.size());
      EXPECT_TRUE(same_bits(box.lower, want.lower)) << label(c) << " " << kernel.variant();
      EXPECT_TRUE(same_bits(box.upper, want.upper)) << label(c) << " " << kernel.variant();
    }
  }
}

TEST(IntervalConvLayouts, NhwcChainEqualsNchwChain) {
  // conv(NCHW->NHWC) -> conv(NHWC->NHWC) -> conv(NHWC->NCHW), intermediate planes kept
  // NHWC, against the same three kernels on NCHW planes: the bounds at the end of the
  // chain are the same bits. Odd channel counts, a strided and a grouped layer, batch 3.
  const ConvCase layers[] = {
      {{1, 3, 12, 12}, {13, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 3},
      {{1, 13, 12, 12}, {21, 13, 4, 4}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, 3},
      {{1, 21, 6, 6}, {9, 7, 3, 3}, {1, 1}, {1, 0, 1, 0}, {1, 1}, 3, 3},
  };
  const Layout ins[] = {Layout::NCHW, Layout::NHWC, Layout::NHWC};
  const Layout outs[] = {Layout::NHWC, Layout::NHWC, Layout::NCHW};
  const Epilogue acts[] = {Epilogue::relu(), Epilogue::leaky_relu(0.1f), Epilogue::none()};
  Box nchw = test::random_box(layers[0].batch * numel(layers[0].x), 7);
  Box nhwc = nchw;
  for (std::size_t i = 0; i < 3; ++i) {
    const ConvCase& c = layers[i];
    const Tensor w = test::random_weights(c.w, 10 + static_cast<std::uint32_t>(i), 0.3);
    const Tensor b = test::random_weights({c.w[0]}, 20 + static_cast<std::uint32_t>(i), 0.5);
    const IntervalConvF32 plain(conv_attrs(c), c.x, c.batch, w, &b, acts[i]);
    const IntervalConvF32 kept(conv_attrs(c), c.x, c.batch, w, &b, acts[i], Formats::Auto, ins[i], outs[i]);
    if (i + 1 < 3) {
      ASSERT_EQ(plain.output_shape(), layers[i + 1].x);
    }
    nchw = run_kernel(plain, nchw, c.batch);
    nhwc = run_kernel(kept, nhwc, c.batch);
  }
  EXPECT_TRUE(same_bits(nhwc.lower, nchw.lower));
  EXPECT_TRUE(same_bits(nhwc.upper, nchw.upper));
  // Not a vacuous comparison: the chain produced non-trivial bounds.
  EXPECT_NE(nchw.lower, nchw.upper);
}

TEST(IntervalConvLayouts, NhwcPlanesNeedChannelsLastFormats) {
  const ConvCase c{{1, 4, 6, 6}, {4, 4, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, 1};
  const Tensor w = test::random_weights(c.w, 1, 0.3);
  for (Formats f : {Formats::Plain, Formats::OneDnnChoice}) {
    for (auto [li, lo] : kNhwcCombos) {
      try {
        IntervalConvF32(conv_attrs(c), c.x, 1, w, nullptr, Epilogue::none(), f, li, lo);
        ADD_FAILURE() << "NHWC planes accepted with formats " << static_cast<int>(f);
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
        EXPECT_NE(std::string(e.what()).find("NHWC"), std::string::npos) << e.what();
      }
    }
    // NCHW planes stay available with every format.
    EXPECT_EQ(IntervalConvF32(conv_attrs(c), c.x, 1, w, nullptr, Epilogue::none(), f).input_layout(), Layout::NCHW);
  }
}

TEST(IntervalConvLayouts, VariantNamesNonDefaultPlanes) {
  const ConvCase c{{1, 4, 6, 6}, {4, 4, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, 1};
  const Tensor w = test::random_weights(c.w, 1, 0.3);
  const IntervalConvF32 nchw(conv_attrs(c), c.x, 1, w, nullptr, Epilogue::none());
  EXPECT_EQ(nchw.variant().find("planes"), std::string::npos) << nchw.variant();
  const IntervalConvF32 mixed(conv_attrs(c), c.x, 1, w, nullptr, Epilogue::none(), Formats::Auto, Layout::NCHW,
                              Layout::NHWC);
  EXPECT_NE(mixed.variant().find("planes nchw->nhwc"), std::string::npos) << mixed.variant();
}

}  // namespace
}  // namespace bf
