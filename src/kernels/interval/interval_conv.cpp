#include "kernels/interval/interval_conv.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "ir/shape_inference.h"
#include "kernels/interval/activation_fns.h"
#include "kernels/interval/centre_radius.h"
#include "kernels/interval/dnnl_support.h"
#include "kernels/interval/scratch_layout.h"

namespace bf {
using dnnl::memory;
using interval_detail::checked_scratch;
using interval_detail::cpu_engine;
using interval_detail::cpu_stream;
using interval_detail::ScratchLayout;
using interval_detail::with_dnnl_errors;
using tag = memory::format_tag;

namespace {

constexpr memory::data_type kF32 = memory::data_type::f32;
// The elementwise passes work on (image, pixel range) tasks of this many pixels (a
// multiple of 8) and go parallel only when there are enough elements to pay for an
// OpenMP fork/join.
constexpr std::int64_t kChunkPixels = 512;
constexpr std::int64_t kParallelElements = 65536;

// fn(image, p0, p1) for every image and pixel range [p0, p1) of [0, pixels).
template <typename Fn>
void for_pixel_chunks(std::int64_t images, std::int64_t pixels, std::int64_t channels, Fn fn) {
  const std::int64_t chunks = (pixels + kChunkPixels - 1) / kChunkPixels;
  const std::int64_t tasks = images * chunks;
  const bool parallel = images * pixels * channels >= kParallelElements && tasks > 1 && omp_get_max_threads() > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t i = t / chunks, p0 = (t % chunks) * kChunkPixels;
    fn(i, p0, std::min(pixels, p0 + kChunkPixels));
  }
}

// In-register transpose of an 8 x 8 block: v[i] lane j becomes v[j] lane i.
inline void transpose8(__m256 v[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
  const __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
  const __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]), t5 = _mm256_unpackhi_ps(v[4], v[5]);
  const __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]), t7 = _mm256_unpackhi_ps(v[6], v[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  v[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  v[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  v[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  v[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  v[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  v[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  v[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  v[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// The two channels-last passes transpose between [C][P] planes and [P][2C] images,
// one block of 8 channels at a time over the task's pixel range (at most
// kChunkPixels), 16 pixels per step: every plane row segment a step touches is a whole
// 64-byte line, used in that step. (Plane rows are P floats apart, often a multiple
// of 4 KiB; lines visited piecemeal across channel blocks alias in the L1 sets.)

// Pixels [p0, p1) of one image: bound planes lo, hi [C][P] to the channels-last
// centre-radius image dst [P][2C] (per pixel c_0 .. c_{C-1}, r_0 .. r_{C-1}), with
// the reference's centre-radius form (centre_radius.h).
void centre_radius_channels_last(const float* lo, const float* hi, float* dst, std::int64_t c, std::int64_t pixels,
                                 std::int64_t p0, std::int64_t p1) {
  const std::int64_t c2 = 2 * c, c8 = c / 8 * 8;
  const std::int64_t p16 = p0 + (p1 - p0) / 16 * 16;
  for (std::int64_t ch = 0; ch < c8; ch += 8) {
    for (std::int64_t p = p0; p < p16; p += 16) {
      __m256 cv[2][8], rv[2][8];
      for (int i = 0; i < 8; ++i) {
        for (int h = 0; h < 2; ++h) {
          const __m256 l = _mm256_loadu_ps(lo + (ch + i) * pixels + p + 8 * h);
          const __m256 u = _mm256_loadu_ps(hi + (ch + i) * pixels + p + 8 * h);
          cv[h][i] = centre_of8(l, u);
          rv[h][i] = radius_of8(l, u);
        }
      }
      for (int h = 0; h < 2; ++h) {
        transpose8(cv[h]);
        transpose8(rv[h]);
        for (int i = 0; i < 8; ++i) {
          _mm256_storeu_ps(dst + (p + 8 * h + i) * c2 + ch, cv[h][i]);
          _mm256_storeu_ps(dst + (p + 8 * h + i) * c2 + c + ch, rv[h][i]);
        }
      }
    }
  }
  // Channels beyond the last block of 8 for every pixel, and every channel of the
  // pixels beyond the last block of 16.
  for (std::int64_t p = p0; p < p1; ++p) {
    for (std::int64_t ch = p < p16 ? c8 : 0; ch < c; ++ch) {
      const float l = lo[ch * pixels + p], u = hi[ch * pixels + p];
      dst[p * c2 + ch] = centre_of(l, u);
      dst[p * c2 + c + ch] = radius_of(l, u);
    }
  }
}

// Pixels [p0, p1) of one image: the channels-last convolution output src [P][2OC]
// (per pixel c'_0 .. c'_{OC-1}, r'_0 .. r'_{OC-1}) to the bound planes lo, hi [OC][P]:
// lo = act(c' - r'), hi = act(c' + r').
template <typename Fn>
void bounds_from_channels_last(Fn fn, const float* src, float* lo, float* hi, std::int64_t oc, std::int64_t pixels,
                               std::int64_t p0, std::int64_t p1) {
  const std::int64_t c2 = 2 * oc, c8 = oc / 8 * 8;
  const std::int64_t p16 = p0 + (p1 - p0) / 16 * 16;
  for (std::int64_t ch = 0; ch < c8; ch += 8) {
    for (std::int64_t p = p0; p < p16; p += 16) {
      __m256 cv[2][8], rv[2][8];
      for (int h = 0; h < 2; ++h) {
        for (int i = 0; i < 8; ++i) {
          cv[h][i] = _mm256_loadu_ps(src + (p + 8 * h + i) * c2 + ch);
          rv[h][i] = _mm256_loadu_ps(src + (p + 8 * h + i) * c2 + oc + ch);
        }
        transpose8(cv[h]);
        transpose8(rv[h]);
      }
      for (int j = 0; j < 8; ++j) {
        for (int h = 0; h < 2; ++h) {
          _mm256_storeu_ps(lo + (ch + j) * pixels + p + 8 * h, fn(_mm256_sub_ps(cv[h][j], rv[h][j])));
          _mm256_storeu_ps(hi + (ch + j) * pixels + p + 8 * h, fn(_mm256_add_ps(cv[h][j], rv[h][j])));
        }
      }
    }
  }
  for (std::int64_t p = p0; p < p1; ++p) {
    for (std::int64_t ch = p < p16 ? c8 : 0; ch < oc; ++ch) {
      const float cc = src[p * c2 + ch], rr = src[p * c2 + oc + ch];
      lo[ch * pixels + p] = fn(cc - rr);
      hi[ch * pixels + p] = fn(cc + rr);
    }
  }
}

// With NHWC bound planes the two passes need no transpose: a pixel's C (or OC) bounds
// are contiguous in the planes as its [c; r] (or [c'; r']) are in the scratch image.

// Pixels [p0, p1) of one image: channels-last bound planes lo, hi [P][C] to the
// centre-radius image dst [P][2C], with the same formulas as the NCHW pass.
void centre_radius_from_channels_last(const float* lo, const float* hi, float* dst, std::int64_t c, std::int64_t p0,
                                      std::int64_t p1) {
  for (std::int64_t p = p0; p < p1; ++p) {
    const float* l = lo + p * c;
    const float* u = hi + p * c;
    float* d = dst + p * 2 * c;
    std::int64_t ch = 0;
    for (; ch + 8 <= c; ch += 8) {
      const __m256 lv = _mm256_loadu_ps(l + ch), uv = _mm256_loadu_ps(u + ch);
      _mm256_storeu_ps(d + ch, centre_of8(lv, uv));
      _mm256_storeu_ps(d + c + ch, radius_of8(lv, uv));
    }
    for (; ch < c; ++ch) {
      d[ch] = centre_of(l[ch], u[ch]);
      d[c + ch] = radius_of(l[ch], u[ch]);
    }
  }
}

// Pixels [p0, p1) of one image: the convolution output src [P][2OC] to channels-last
// bound planes lo, hi [P][OC]: lo = act(c' - r'), hi = act(c' + r').
template <typename Fn>
void bounds_to_channels_last(Fn fn, const float* src, float* lo, float* hi, std::int64_t oc, std::int64_t p0,
                             std::int64_t p1) {
  for (std::int64_t p = p0; p < p1; ++p) {
    const float* s = src + p * 2 * oc;
    float* l = lo + p * oc;
    float* u = hi + p * oc;
    std::int64_t ch = 0;
    for (; ch + 8 <= oc; ch += 8) {
      const __m256 cv = _mm256_loadu_ps(s + ch), rv = _mm256_loadu_ps(s + oc + ch);
      _mm256_storeu_ps(l + ch, fn(_mm256_sub_ps(cv, rv)));
      _mm256_storeu_ps(u + ch, fn(_mm256_add_ps(cv, rv)));
    }
    for (; ch < oc; ++ch) {
      const float cc = s[ch], rr = s[oc + ch];
      l[ch] = fn(cc - rr);
      u[ch] = fn(cc + rr);
    }
  }
}

const char* plane_layout_name(IntervalConvF32::PlaneLayout layout) {
  return layout == IntervalConvF32::PlaneLayout::NHWC ? "nhwc" : "nchw";
}

// oneDNN's tag spelling of a blocked layout: dimensions from the largest stride to the
// smallest, upper case where blocked, then the inner blocks (nChw16c = "aBcd16b").
std::string format_name(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked) return "non-blocked";
  const auto& blk = d.format_desc.blocking;
  std::vector<int> order(static_cast<std::size_t>(d.ndims));
  for (int i = 0; i < d.ndims; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return blk.strides[a] > blk.strides[b]; });
  std::string name;
  for (int dim : order) {
    bool blocked = false;
    for (int i = 0; i < blk.inner_nblks; ++i) blocked |= blk.inner_idxs[i] == dim;
    name += static_cast<char>((blocked ? 'A' : 'a') + dim);
  }
  for (int i = 0; i < blk.inner_nblks; ++i) {
    name += std::to_string(blk.inner_blks[i]) + static_cast<char>('a' + blk.inner_idxs[i]);
  }
  return name;
}

}  // namespace

// How the centre-radius images are laid out around the convolution.
enum class Layout {
  Planar,        // NCHW, the convolution runs on it directly (Formats::Plain)
  ChannelsLast,  // NHWC, written and read by our own passes (Formats::ChannelsLast)
  Reordered,     // NCHW, oneDNN reorders to and from the formats it picked (Formats::OneDnnChoice)
};

// The images of a batch go through the three steps (centre-radius pass, convolution,
// bound pass) a group at a time, so the intermediates of a group stay in the core's
// L2 cache between the steps instead of making round trips to memory. A group holds
// as many images as fit this many intermediate bytes (at least one).
constexpr std::int64_t kGroupBytes = std::int64_t{1} << 20;

// One convolution primitive for a group of `images` images.
struct ConvStep {
  std::int64_t images = 0;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory::desc cr_md, out_md;      // [images, 2C, H, W], [images, 2OC, OH, OW] as our passes lay them out
  memory weights;                  // [W; |W|] in the primitive's format
  dnnl::reorder to_src, from_dst;  // Reordered only
};

struct IntervalConvF32::Prepared {
  Layout layout = Layout::ChannelsLast;
  std::int64_t group_images = 1;
  // steps[0] for full groups; steps[1], when present, for the last, smaller group.
  std::vector<ConvStep> steps;
  memory bias;  // [b; 0], empty without a bias
  std::int64_t prepared_bytes = 0;
  memory::desc pad_md;  // the largest scratchpad of all primitives
  ScratchLayout scratch;
  int cr = 0, src = 0, dst = 0, out = 0, pad = 0;  // scratch regions
};

IntervalConvF32::IntervalConvF32(const Attributes& attrs, const Shape& input_shape, std::int64_t batch,
                                 const Tensor& weight, const Tensor* bias, Epilogue epilogue, Formats formats,
                                 PlaneLayout input_layout, PlaneLayout output_layout)
    : in_shape_(input_shape), in_layout_(input_layout), out_layout_(output_layout), epilogue_(epilogue) {
  BF_CHECK(input_shape.size() == 4, ErrorKind::Unsupported,
           "interval Conv kernel handles 2-D convolutions only, got input shape {}", shape_str(input_shape));
  BF_CHECK(weight.dtype() == DType::F32 && weight.rank() == 4, ErrorKind::Unsupported,
           "interval Conv kernel needs an f32 [OC, C/group, kh, kw] weight, got {} {}", dtype_name(weight.dtype()),
           shape_str(weight.shape()));
  if (bias && !bias->defined()) bias = nullptr;
  BF_CHECK(!bias || bias->dtype() == DType::F32, ErrorKind::Unsupported, "interval Conv kernel needs an f32 bias");
  BF_CHECK(batch >= 1, ErrorKind::Invalid, "interval Conv kernel: batch {} < 1", batch);
  // Only our own channels-last passes read and write NHWC planes; the NCHW scratch
  // of the other formats would need transposes of its own.
  const bool nhwc_planes = input_layout == PlaneLayout::NHWC || output_layout == PlaneLayout::NHWC;
  BF_CHECK(!nhwc_planes || formats == Formats::Auto || formats == Formats::ChannelsLast, ErrorKind::Unsupported,
           "interval Conv kernel: NHWC bound planes (input {}, output {}) need the ChannelsLast (or Auto) formats, "
           "not {}",
           plane_layout_name(input_layout), plane_layout_name(output_layout),
           formats == Formats::Plain ? "Plain" : "OneDnnChoice");
  const TensorType x_type{DType::F32, input_shape}, w_type{DType::F32, weight.shape()};
  TensorType b_type;
  if (bias) b_type = {DType::F32, bias->shape()};
  out_shape_ = infer_output_types(OpKind::Conv, attrs, {&x_type, &w_type, bias ? &b_type : nullptr}).at(0).shape;

  const std::int64_t c = input_shape[1], h = input_shape[2], w = input_shape[3];
  const std::int64_t oc = out_shape_[1], oh = out_shape_[2], ow = out_shape_[3];
  const std::int64_t g = attrs.get_int("group");
  BF_CHECK(numel(input_shape) > 0 && numel(out_shape_) > 0 && weight.numel() > 0, ErrorKind::Unsupported,
           "interval Conv kernel: empty convolution (input {}, weight {}, output {})", shape_str(input_shape),
           shape_str(weight.shape()), shape_str(out_shape_));
  images_ = batch * input_shape[0];

  const auto& kernel = attrs.get_ints("kernel_shape");
  const auto& strides = attrs.get_ints("strides");
  const auto& dilations = attrs.get_ints("dilations");
  const auto& pads = attrs.get_ints("pads");

  auto p = std::make_unique<Prepared>();
  p->layout = formats == Formats::Plain          ? Layout::Planar
              : formats == Formats::OneDnnChoice ? Layout::Reordered
                                                 : Layout::ChannelsLast;
  const std::int64_t image_bytes = 4 * (2 * c * h * w + 2 * oc * oh * ow);
  p->group_images = std::clamp<std::int64_t>(kGroupBytes / image_bytes, 1, images_);
  const std::int64_t rest = images_ % p->group_images;

  with_dnnl_errors("interval convolution", [&] {
    const memory::dims w_dims{2 * g, oc / g, c / g, kernel[0], kernel[1]};
    const memory::desc bias_md = bias ? memory::desc({2 * oc}, kF32, tag::a) : memory::desc();
    const bool any = p->layout == Layout::Reordered;
    const tag ours = p->layout == Layout::ChannelsLast ? tag::nhwc : tag::nchw;
    // oneDNN counts dilation from 0 (no gap), ONNX from 1.
    const memory::dims dil{dilations[0] - 1, dilations[1] - 1};
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

    // [W; |W|]: ONNX's [OC, C/g, kh, kw] is [g, OC/g, C/g, kh, kw] in C order, so
    // the two stacked copies are the [2g, OC/g, C/g, kh, kw] weights of 2g groups.
    const std::int64_t nw = weight.numel();
    std::vector<float> stacked(static_cast<std::size_t>(2 * nw));
    const float* wsrc = weight.data<float>();
    for (std::int64_t i = 0; i < nw; ++i) {
      stacked[static_cast<std::size_t>(i)] = wsrc[i];
      stacked[static_cast<std::size_t>(nw + i)] = std::fabs(wsrc[i]);
    }
    memory user_w(memory::desc(w_dims, kF32, tag::goihw), cpu_engine(), stacked.data());

    for (std::int64_t n : {p->group_images, rest}) {
      if (n == 0) continue;
      ConvStep st;
      st.images = n;
      const memory::dims src_dims{n, 2 * c, h, w}, dst_dims{n, 2 * oc, oh, ow};
      st.cr_md = memory::desc(src_dims, kF32, ours);
      st.out_md = memory::desc(dst_dims, kF32, ours);
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        any ? memory::desc(src_dims, kF32, tag::any) : st.cr_md,
                                        memory::desc(w_dims, kF32, tag::any), bias_md,
                                        any ? memory::desc(dst_dims, kF32, tag::any) : st.out_md,
                                        {strides[0], strides[1]}, dil, {pads[0], pads[1]}, {pads[2], pads[3]});
      st.pd = dnnl::convolution_forward::primitive_desc(d, attr, cpu_engine());
      st.conv = dnnl::convolution_forward(st.pd);
      std::vector<memory::desc> pads_needed{st.pd.scratchpad_desc()};
      if (any) {
        dnnl::reorder::primitive_desc to_src(cpu_engine(), st.cr_md, cpu_engine(), st.pd.src_desc(), attr);
        dnnl::reorder::primitive_desc from_dst(cpu_engine(), st.pd.dst_desc(), cpu_engine(), st.out_md, attr);
        st.to_src = dnnl::reorder(to_src);
        st.from_dst = dnnl::reorder(from_dst);
        pads_needed.push_back(to_src.scratchpad_desc());
        pads_needed.push_back(from_dst.scratchpad_desc());
      }
      for (const auto& md : pads_needed) {
        if (md.get_size() > p->pad_md.get_size()) p->pad_md = md;
      }
      // Both primitives share one copy of the weights when they want the same format.
      if (!p->steps.empty() && p->steps[0].pd.weights_desc() == st.pd.weights_desc()) {
        st.weights = p->steps[0].weights;
      } else {
        st.weights = memory(st.pd.weights_desc(), cpu_engine());
        dnnl::reorder(user_w, st.weights).execute(cpu_stream(), user_w, st.weights);
        p->prepared_bytes += static_cast<std::int64_t>(st.pd.weights_desc().get_size());
      }
      p->steps.push_back(std::move(st));
    }
    if (bias) {
      p->bias = memory(bias_md, cpu_engine());
      auto* b = static_cast<float*>(p->bias.get_data_handle());
      std::memcpy(b, bias->data<float>(), sizeof(float) * oc);
      std::fill(b + oc, b + 2 * oc, 0.0f);
      p->prepared_bytes += static_cast<std::int64_t>(bias_md.get_size());
    }
    cpu_stream().wait();
  });
  // Regions sized for a full group (the last group is never larger).
  const ConvStep& full = p->steps[0];
  auto bytes = [](const memory::desc& md) { return static_cast<std::int64_t>(md.get_size()); };
  p->cr = p->scratch.add(bytes(full.cr_md));
  if (p->layout == Layout::Reordered) {
    std::int64_t src_bytes = 0, dst_bytes = 0;
    for (const auto& st : p->steps) {
      src_bytes = std::max(src_bytes, bytes(st.pd.src_desc()));
      dst_bytes = std::max(dst_bytes, bytes(st.pd.dst_desc()));
    }
    p->src = p->scratch.add(src_bytes);
    p->dst = p->scratch.add(dst_bytes);
  }
  p->out = p->scratch.add(bytes(full.out_md));
  p->pad = p->scratch.add(bytes(p->pad_md));
  p_ = std::move(p);
}

IntervalConvF32::~IntervalConvF32() = default;
IntervalConvF32::IntervalConvF32(IntervalConvF32&&) noexcept = default;
IntervalConvF32& IntervalConvF32::operator=(IntervalConvF32&&) noexcept = default;

std::int64_t IntervalConvF32::scratch_bytes() const { return p_->scratch.total(); }

std::int64_t IntervalConvF32::prepared_bytes() const { return p_->prepared_bytes; }

std::int64_t IntervalConvF32::images_per_group() const { return p_->group_images; }

std::string IntervalConvF32::variant() const {
  const auto& pd = p_->steps[0].pd;
  std::string impl = interval_detail::impl_name(pd) + ", " + std::to_string(p_->group_images) + " images/group";
  if (in_layout_ != PlaneLayout::NCHW || out_layout_ != PlaneLayout::NCHW) {
    impl += std::string(", planes ") + plane_layout_name(in_layout_) + "->" + plane_layout_name(out_layout_);
  }
  switch (p_->layout) {
    case Layout::Planar:
      return "onednn_conv_nchw(" + impl + ")";
    case Layout::ChannelsLast:
      return "onednn_conv_nhwc(" + impl + ")";
    case Layout::Reordered:
      return "onednn_conv_reordered(" + impl + ", " + format_name(pd.src_desc()) + ", " + format_name(pd.dst_desc()) +
             ")";
  }
  return "unknown";
}

void IntervalConvF32::run(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                          void* scratch) const {
  const Prepared& p = *p_;
  char* s = checked_scratch(scratch, scratch_bytes(), "interval Conv kernel");
  float* cr = reinterpret_cast<float*>(s + p.scratch.offset(p.cr));
  float* out = reinterpret_cast<float*>(s + p.scratch.offset(p.out));
  void* pad = s + p.scratch.offset(p.pad);
  const std::int64_t c = in_shape_[1], oc = out_shape_[1];
  const std::int64_t pixels = in_shape_[2] * in_shape_[3], out_pixels = out_shape_[2] * out_shape_[3];
  const std::int64_t in_image = c * pixels, out_image = oc * out_pixels;
  const bool channels_last = p.layout == Layout::ChannelsLast;
  const bool nhwc_in = in_layout_ == PlaneLayout::NHWC, nhwc_out = out_layout_ == PlaneLayout::NHWC;

  for (std::int64_t first = 0; first < images_; first += p.group_images) {
    const ConvStep& st = images_ - first >= p.group_images ? p.steps[0] : p.steps.back();
    const float* in_lo = in_lower + first * in_image;
    const float* in_hi = in_upper + first * in_image;
    float* out_lo = out_lower + first * out_image;
    float* out_hi = out_upper + first * out_image;

    // Per image: [c ; r] as one image of 2C channels.
    for_pixel_chunks(st.images, pixels, c, [&](std::int64_t i, std::int64_t p0, std::int64_t p1) {
      const float* lo = in_lo + i * in_image;
      const float* hi = in_hi + i * in_image;
      float* ci = cr + 2 * i * in_image;
      if (nhwc_in) {
        centre_radius_from_channels_last(lo, hi, ci, c, p0, p1);
      } else if (channels_last) {
        centre_radius_channels_last(lo, hi, ci, c, pixels, p0, p1);
      } else {
        for (std::int64_t ch = 0; ch < c; ++ch) {
          const std::int64_t at = ch * pixels + p0;
          bounds_to_centre_radius(lo + at, hi + at, ci + at, ci + in_image + at, p1 - p0);
        }
      }
    });
    with_dnnl_errors("interval convolution", [&] {
      dnnl::stream& stream = cpu_stream();
      memory cr_mem(st.cr_md, cpu_engine(), cr);
      memory out_mem(st.out_md, cpu_engine(), out);
      memory pad_mem(p.pad_md, cpu_engine(), pad);
      memory src_mem = cr_mem, dst_mem = out_mem;
      if (p.layout == Layout::Reordered) {
        src_mem = memory(st.pd.src_desc(), cpu_engine(), s + p.scratch.offset(p.src));
        dst_mem = memory(st.pd.dst_desc(), cpu_engine(), s + p.scratch.offset(p.dst));
        st.to_src.execute(stream, {{DNNL_ARG_FROM, cr_mem}, {DNNL_ARG_TO, src_mem}, {DNNL_ARG_SCRATCHPAD, pad_mem}});
      }
      std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src_mem},
                                              {DNNL_ARG_WEIGHTS, st.weights},
                                              {DNNL_ARG_DST, dst_mem},
                                              {DNNL_ARG_SCRATCHPAD, pad_mem}};
      if (p.bias) args.insert({DNNL_ARG_BIAS, p.bias});
      st.conv.execute(stream, args);
      if (p.layout == Layout::Reordered) {
        st.from_dst.execute(stream, {{DNNL_ARG_FROM, dst_mem}, {DNNL_ARG_TO, out_mem}, {DNNL_ARG_SCRATCHPAD, pad_mem}});
      }
      stream.wait();
    });
    // Per image: [c' ; r'] (2 OC channels) to the bound planes.
    interval_detail::with_activation(epilogue_, [&](auto fn) {
      for_pixel_chunks(st.images, out_pixels, oc, [&](std::int64_t i, std::int64_t p0, std::int64_t p1) {
        const float* oi = out + 2 * i * out_image;
        float* lo = out_lo + i * out_image;
        float* hi = out_hi + i * out_image;
        if (nhwc_out) {
          bounds_to_channels_last(fn, oi, lo, hi, oc, p0, p1);
        } else if (channels_last) {
          bounds_from_channels_last(fn, oi, lo, hi, oc, out_pixels, p0, p1);
        } else {
          for (std::int64_t ch = 0; ch < oc; ++ch) {
            const std::int64_t at = ch * out_pixels + p0;
            centre_radius_to_bounds(epilogue_, oi + at, oi + out_image + at, lo + at, hi + at, p1 - p0);
          }
        }
      });
    });
  }
}

}  // namespace bf
