// Fast f32 interval bound propagation through a 2-D Conv (any group count, pads,
// strides, dilations), with a monotone activation fused after it. Same rule as the
// reference (bound/interval_ops.cpp, centre-radius form):
//   c = (u + l) / 2, r = (u - l) / 2;  c' = conv(c, W) + b, r' = conv(r, |W|);
//   lower' = act(c' - r'), upper' = act(c' + r').
//
// Both products run as ONE grouped oneDNN convolution: each image's c and r are laid
// out as one image with 2C channels [c ; r], convolved with 2g groups whose weights
// are [W ; |W|] and bias [b ; 0]; the output's 2·OC channels are [c' ; r']. The
// weights are reordered into the primitive's format at construction.
//
// Formats (where [c; r] and [c'; r'] live):
//   ChannelsLast: NHWC. Our own passes form [c; r] while they read the bound planes
//       and the bounds while they read [c'; r'] (transposing in 8 x 8 AVX2 blocks where
//       the planes are NCHW), and oneDNN runs its fast direct convolution (brgconv on
//       AVX-512 machines).
//   Plain: NCHW, the convolution runs on it directly (oneDNN falls back to im2col + gemm
//       for grouped NCHW convolutions: 1.5 to 3x slower).
//   OneDnnChoice: NCHW around the convolution, reorders (prepared at construction) to
//       and from the formats oneDNN picks: two extra memory passes.
//   Auto is ChannelsLast, the fastest on the CIFAR layers (bench/interval_kernels_bench.cpp).
//
// Plane layouts (how the caller's bound planes hold each image; image = one of batch x N):
//   NCHW (the default, the IR's layout): [C][H][W] in, [OC][OH][OW] out.
//   NHWC: [H][W][C] in, [OH][OW][OC] out. With ChannelsLast formats these planes need no
//       transpose: the centre-radius pass forms each pixel's [c; r] from its C contiguous
//       bounds, the bound pass writes each pixel's OC contiguous bounds. A chain of
//       convolutions can keep its intermediate planes NHWC and transpose only at its
//       ends. The arithmetic is the same in every layout (centre_radius.h, then the same
//       convolution on the same [c; r], then act(c' -+ r')), so the bounds are bitwise
//       the same as with NCHW planes, element for element. Only ChannelsLast (and Auto)
//       formats take NHWC planes: the others throw bf::Error(Unsupported).
//
// The batch runs in groups of images_per_group() images (about 1 MiB of intermediates,
// at least one image): centre-radius pass, convolution and bound pass for one group,
// then the next, so the intermediates stay in L2 instead of going through memory.
// The last group may be smaller and has a primitive of its own.
//
// Scratch layout, sized for one group (offsets rounded up to 64 bytes; scratch_bytes()
// is the total), the same for every plane layout:
//   ChannelsLast: [c; r] NHWC [images][H][W][2C] | [c'; r'] NHWC [images][OH][OW][2OC] | oneDNN scratchpad
//   Plain:        [c; r] NCHW [images][2C][H][W] | [c'; r'] NCHW [images][2OC][OH][OW] | oneDNN scratchpad
//   OneDnnChoice: [c; r] NCHW | [c; r] in the conv's source format | [c'; r'] in the conv's
//                 destination format | [c'; r'] NCHW | oneDNN scratchpad (the largest of conv and reorders)
//
// run() reads a group's input images before it writes that group's outputs, so it may
// run in place (out_lower == in_lower and out_upper == in_upper) when an output sample
// is no larger than an input sample, in every combination of plane layouts (an image
// occupies the same span of a plane in either layout); other overlaps are not allowed.
// It allocates nothing of its own and may run on several threads at once (oneDNN makes
// small bookkeeping allocations inside execute).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ir/attributes.h"
#include "kernels/interval/epilogue.h"
#include "tensor/tensor.h"

namespace bf {

class IntervalConvF32 {
 public:
  enum class Formats { Auto, ChannelsLast, Plain, OneDnnChoice };
  // How each image of the caller's bound planes is laid out (see above).
  enum class PlaneLayout { NCHW, NHWC };

  // attrs: canonical Conv attributes (kernel_shape, strides, pads begins then ends,
  // dilations, group). input_shape: the per-sample IR shape [N, C, H, W] (N may be
  // > 1); `batch` samples of it are stored back to back. weight [OC, C/group, kh, kw]
  // f32; bias [OC] f32 or null. input_layout / output_layout: how run()'s in and out
  // planes hold each image (the shapes stay the IR's NCHW shapes). Throws
  // bf::Error(Unsupported) for anything but 2-D spatial f32 convolutions and for NHWC
  // planes with Plain or OneDnnChoice formats, bf::Error(Shape) for inconsistent shapes.
  IntervalConvF32(const Attributes& attrs, const Shape& input_shape, std::int64_t batch, const Tensor& weight,
                  const Tensor* bias, Epilogue epilogue, Formats formats = Formats::Auto,
                  PlaneLayout input_layout = PlaneLayout::NCHW, PlaneLayout output_layout = PlaneLayout::NCHW);
  ~IntervalConvF32();
  IntervalConvF32(IntervalConvF32&&) noexcept;
  IntervalConvF32& operator=(IntervalConvF32&&) noexcept;

  // Per-sample output shape [N, OC, OH, OW] (the IR's shape in either plane layout).
  const Shape& output_shape() const { return out_shape_; }
  PlaneLayout input_layout() const { return in_layout_; }
  PlaneLayout output_layout() const { return out_layout_; }
  // Images (batch x N) per convolution call: run() takes the batch a group at a time
  // so a group's intermediates stay in the L2 cache between its passes.
  std::int64_t images_per_group() const;

  // Bytes of 64-byte aligned scratch run() needs.
  std::int64_t scratch_bytes() const;
  // Bytes of prepared weights (and bias) this object holds.
  std::int64_t prepared_bytes() const;
  // "onednn_conv_nhwc(<impl>)", "onednn_conv_nchw(<impl>)" or
  // "onednn_conv_reordered(<impl>, <src format>, <dst format>)", <impl> as oneDNN names it
  // followed by the group size and, unless both are NCHW, ", planes <in>-><out>"
  // (e.g. "planes nchw->nhwc").
  std::string variant() const;

  // in planes: batch x input_shape each; out planes: batch x output_shape() each; each
  // image laid out as input_layout() / output_layout() say.
  void run(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper, void* scratch) const;

 private:
  struct Prepared;  // oneDNN state, defined in the .cpp so only it includes oneDNN

  Shape in_shape_, out_shape_;
  std::int64_t images_ = 0;  // batch x N
  PlaneLayout in_layout_ = PlaneLayout::NCHW, out_layout_ = PlaneLayout::NCHW;
  Epilogue epilogue_;
  std::unique_ptr<Prepared> p_;
};

}  // namespace bf
