// IntervalConvF32 against the reference rule (ibp_eval_op on a Conv node, then the
// reference activation): groups (incl. depthwise), strides, asymmetric pads,
// dilations, 1x1 kernels, several images per sample, batches, both format choices,
// with and without bias, every fusable activation.
#include "kernels/interval/interval_conv.h"

#include <gtest/gtest.h>
#include <omp.h>

#include "conv_case.h"
#include "interval_reference.h"

namespace bf {
namespace {

using test::Box;
using Formats = IntervalConvF32::Formats;
using Ints = std::vector<std::int64_t>;

using test::conv_attrs;
using test::conv_node;
using test::ConvCase;
using test::label;

Box run_kernel(const IntervalConvF32& kernel, const Box& in, std::int64_t batch) {
  const auto out_n = static_cast<std::size_t>(batch * numel(kernel.output_shape()));
  Box out{std::vector<float>(out_n), std::vector<float>(out_n)};
  test::AlignedBuffer scratch(kernel.scratch_bytes());
  kernel.run(in.lower.data(), in.upper.data(), out.lower.data(), out.upper.data(), scratch.data());
  return out;
}

void check_case(const ConvCase& c, bool with_bias, Formats formats, std::uint32_t seed, bool every_activation = true) {
  const std::int64_t fan_in = c.w[1] * c.w[2] * c.w[3];
  const Tensor w = test::random_weights(c.w, seed, 1.0 / std::sqrt(static_cast<double>(fan_in)));
  const Tensor b = test::random_weights({c.w[0]}, seed + 1, 0.5);
  const Tensor* bias = with_bias ? &b : nullptr;
  const Box in = test::random_box(c.batch * numel(c.x), seed + 2);
  for (const auto& act : test::fusable_activations()) {
    if (!every_activation && act && act->op != OpKind::Relu) continue;
    SCOPED_TRACE("activation " + test::activation_label(act));
    const IntervalConvF32 kernel(conv_attrs(c), c.x, c.batch, w, bias, test::epilogue_of(act), formats);
    const Box want = test::reference_bounds(conv_node(c), c.x, w, bias, c.batch, in, act);
    const Box got = run_kernel(kernel, in, c.batch);
    EXPECT_TRUE(test::planes_close(got.lower, want.lower)) << "lower, " << kernel.variant();
    EXPECT_TRUE(test::planes_close(got.upper, want.upper)) << "upper, " << kernel.variant();
  }
}

const std::vector<ConvCase> kCases = {
    // plain 3x3, same padding; the first layer of a CIFAR network (3 channels)
    {{1, 3, 8, 8}, {5, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 1},
    // two groups, unequal strides, asymmetric pads, dilation along W, batch 3
    {{1, 4, 9, 7}, {6, 2, 3, 2}, {2, 1}, {1, 0, 0, 1}, {1, 2}, 2, 3},
    // depthwise, stride 2
    {{1, 6, 10, 10}, {6, 1, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 6, 2},
    // several images per sample, no padding
    {{2, 3, 7, 7}, {4, 3, 2, 2}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, 2},
    // 1x1 kernel, odd channel counts
    {{1, 5, 6, 6}, {7, 5, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, 1},
    // dilation 2 both ways with asymmetric padding, three groups
    {{1, 9, 11, 9}, {6, 3, 3, 3}, {1, 2}, {2, 1, 0, 2}, {2, 2}, 3, 1},
    // CIFAR-like 4x4 stride 2 with wide channels (blocked formats are possible)
    {{1, 32, 16, 16}, {32, 32, 4, 4}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, 2},
    // 16-channel groups, batch 5
    {{1, 32, 6, 6}, {48, 16, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 2, 5},
    // channel counts with 8-wide blocks and tails (19 = 2 x 8 + 3, 13 = 8 + 5), 9x9 = 81 pixels
    {{1, 19, 9, 9}, {13, 19, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 2},
    // 575 pixels: more than one pixel chunk per image, the last one ragged
    {{1, 8, 25, 23}, {9, 8, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 1},
};

TEST(IntervalConv, AutoFormatsMatchReferenceRule) {
  std::uint32_t seed = 10;
  for (const auto& c : kCases) {
    for (bool with_bias : {true, false}) {
      SCOPED_TRACE(label(c) + (with_bias ? " bias" : " no bias"));
      check_case(c, with_bias, Formats::Auto, seed += 3);
    }
  }
}

const std::pair<Formats, const char*> kFormats[] = {
    {Formats::ChannelsLast, " channels last"}, {Formats::Plain, " plain"}, {Formats::OneDnnChoice, " oneDNN's choice"}};

TEST(IntervalConv, EveryFormatChoiceMatchesReferenceRule) {
  std::uint32_t seed = 300;
  for (const auto& c : kCases) {
    for (auto [f, name] : kFormats) {
      SCOPED_TRACE(label(c) + name);
      check_case(c, true, f, seed += 3, /*every_activation=*/false);
    }
  }
}

TEST(IntervalConv, BatchInUnevenGroupsMatchesReferenceRule) {
  // Large images: the batch of 5 runs in groups, the last one smaller (two primitives).
  const ConvCase c{{1, 32, 32, 32}, {32, 32, 4, 4}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, 5};
  const Tensor w = test::random_weights(c.w, 21, 0.05);
  const IntervalConvF32 kernel(conv_attrs(c), c.x, c.batch, w, nullptr, Epilogue::none());
  ASSERT_GT(kernel.images_per_group(), 1);
  ASSERT_NE(c.batch % kernel.images_per_group(), 0) << kernel.variant();
  for (auto [f, name] : kFormats) {
    SCOPED_TRACE(name);
    check_case(c, true, f, 22, /*every_activation=*/false);
  }
}

TEST(IntervalConv, TwoThreadsMatchReferenceRule) {
  // Enough elements per group for the centre-radius and bound passes to split over
  // threads (and oneDNN to run on two).
  const ConvCase c{{1, 32, 32, 32}, {16, 32, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 2};
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  for (auto [f, name] : kFormats) {
    SCOPED_TRACE(name);
    check_case(c, true, f, 23, /*every_activation=*/false);
  }
  omp_set_num_threads(threads);
}

TEST(IntervalConv, OutputShapeFollowsShapeInference) {
  const ConvCase c{{1, 4, 9, 7}, {6, 2, 3, 2}, {2, 1}, {1, 0, 0, 1}, {1, 2}, 2, 3};
  const Tensor w = test::random_weights(c.w, 1, 0.3);
  const IntervalConvF32 kernel(conv_attrs(c), c.x, c.batch, w, nullptr, Epilogue::none());
  // H: (9 + 1 + 0 - 3) / 2 + 1 = 4; W: (7 + 0 + 1 - 2*(2-1) - 1) / 1 + 1 = 6.
  EXPECT_EQ(kernel.output_shape(), (Shape{1, 6, 4, 6}));
  EXPECT_GT(kernel.prepared_bytes(), 0);
}

TEST(IntervalConv, RunsInPlaceWhenOutputsAreNoLarger) {
  // Same size in and out (3x3, pad 1, C == OC) in one group; and a strided layer whose
  // batch spans uneven groups, each group's inputs read before its outputs land.
  const ConvCase same{{1, 8, 6, 6}, {8, 8, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 2};
  const ConvCase smaller{{1, 32, 32, 32}, {32, 32, 4, 4}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, 5};
  for (const ConvCase& c : {same, smaller}) {
    const Tensor w = test::random_weights(c.w, 2, 0.1);
    for (auto [f, name] : kFormats) {
      const IntervalConvF32 kernel(conv_attrs(c), c.x, c.batch, w, nullptr, Epilogue::relu(), f);
      Box box = test::random_box(c.batch * numel(c.x), 3);
      const Box want = run_kernel(kernel, box, c.batch);
      test::AlignedBuffer scratch(kernel.scratch_bytes());
      kernel.run(box.lower.data(), box.upper.data(), box.lower.data(), box.upper.data(), scratch.data());
      EXPECT_TRUE(std::equal(want.lower.begin(), want.lower.end(), box.lower.begin())) << label(c) << name;
      EXPECT_TRUE(std::equal(want.upper.begin(), want.upper.end(), box.upper.begin())) << label(c) << name;
    }
  }
}

TEST(IntervalConv, RejectsWhatItCannotCompute) {
  Attributes a1;
  a1.set("kernel_shape", Ints{3});
  a1.set("strides", Ints{1});
  a1.set("pads", Ints{0, 0});
  a1.set("dilations", Ints{1});
  a1.set("group", std::int64_t{1});
  const Tensor w1 = test::random_weights({2, 2, 3}, 1, 0.3);
  try {
    IntervalConvF32(a1, {1, 2, 8}, 1, w1, nullptr, Epilogue::none());
    ADD_FAILURE() << "1-D convolution accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  const ConvCase c{{1, 4, 6, 6}, {4, 4, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, 1};
  const Tensor w64(DType::F64, c.w);
  EXPECT_THROW(IntervalConvF32(conv_attrs(c), c.x, 1, w64, nullptr, Epilogue::none()), Error);
  const Tensor wrong = test::random_weights({4, 3, 3, 3}, 2, 0.3);  // C/group should be 4
  EXPECT_THROW(IntervalConvF32(conv_attrs(c), c.x, 1, wrong, nullptr, Epilogue::none()), Error);
}

}  // namespace
}  // namespace bf
