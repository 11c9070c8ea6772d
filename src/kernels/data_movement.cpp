// Ops that only move or select elements. They work on any dtype by copying
// elements as opaque words of the dtype's size (Pad also writes its fill value).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/index_iter.h"
#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

// Calls fn(W{}) with an unsigned integer type as wide as one element of `t`.
template <typename Fn>
void visit_word(DType t, Fn&& fn) {
  switch (dtype_size(t)) {
    case 1:
      fn(std::uint8_t{});
      return;
    case 2:
      fn(std::uint16_t{});
      return;
    case 4:
      fn(std::uint32_t{});
      return;
    case 8:
      fn(std::uint64_t{});
      return;
    default:
      fail(ErrorKind::Internal, "no word type for elements of {} bytes", dtype_size(t));
  }
}

const std::byte* in_bytes(const KernelArgs& a, std::size_t i) { return static_cast<const std::byte*>(a.in[i].data); }
std::byte* out_bytes(const KernelArgs& a) { return static_cast<std::byte*>(a.out[0].data); }

// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout: the element order is unchanged.
void copy_samples(const KernelArgs& a) {
  const std::size_t es = dtype_size(a.dtype(0));
  const auto n = static_cast<std::size_t>(numel(a.out_shape()));
  const auto stride = static_cast<std::size_t>(a.sample_stride(0));
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const auto ub = static_cast<std::size_t>(b);
    if (n) std::memcpy(out_bytes(a) + ub * n * es, in_bytes(a, 0) + ub * stride * es, n * es);
  }
}

// Gathers out[i] = in[offset(i)] where the input offset of every output index
// follows per-dimension strides over the batched output shape [batch] + out.
template <typename W>
void strided_copy(const W* src, std::int64_t src_base, const std::vector<std::int64_t>& src_strides, W* dst,
                  const Shape& batched_out) {
  Strides<2> strides = {src_strides, contiguous_strides(batched_out)};
  const std::int64_t len = row_length(batched_out);
  const std::int64_t step = strides[0].back();
  for_each_row(batched_out, strides, [&](const std::array<std::int64_t, 2>& off) {
    const W* s = src + src_base + off[0];
    W* d = dst + off[1];
    for (std::int64_t i = 0; i < len; ++i) d[i] = s[i * step];
  });
}

void transpose(const KernelArgs& a) {
  const auto& perm = a.node.attrs.get_ints("perm");
  const Shape& in = a.in_shape(0);
  const auto in_strides = contiguous_strides(in);
  std::vector<std::int64_t> src{a.sample_stride(0)};
  for (auto p : perm) src.push_back(in_strides[static_cast<std::size_t>(p)]);
  visit_word(a.dtype(0), [&](auto w) {
    using W = decltype(w);
    strided_copy(static_cast<const W*>(a.in[0].data), 0, src, static_cast<W*>(a.out[0].data),
                 with_batch(a.batch, a.out_shape()));
  });
}

void slice(const KernelArgs& a) {
  const auto& starts = a.node.attrs.get_ints("starts");
  const auto& axes = a.node.attrs.get_ints("axes");
  const auto& steps = a.node.attrs.get_ints("steps");
  const Shape& in = a.in_shape(0);
  if (numel(a.out_shape()) == 0) return;  // starts may lie outside an axis that ends up empty
  const auto in_strides = contiguous_strides(in);
  std::vector<std::int64_t> src{a.sample_stride(0)};
  src.insert(src.end(), in_strides.begin(), in_strides.end());
  std::int64_t base = 0;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto ax = static_cast<std::size_t>(axes[i]);
    BF_CHECK(starts[i] >= 0 && starts[i] < in[ax], ErrorKind::Invalid,
             "Slice start {} lies outside axis {} of extent {} (not canonical)", starts[i], ax, in[ax]);
    const std::int64_t last = starts[i] + (a.out_shape()[ax] - 1) * steps[i];
    BF_CHECK(last >= 0 && last < in[ax], ErrorKind::Invalid,
             "Slice along axis {} reaches index {} outside extent {} (not canonical)", ax, last, in[ax]);
    base += starts[i] * in_strides[ax];
    src[ax + 1] = in_strides[ax] * steps[i];
  }
  visit_word(a.dtype(0), [&](auto w) {
    using W = decltype(w);
    strided_copy(static_cast<const W*>(a.in[0].data), base, src, static_cast<W*>(a.out[0].data),
                 with_batch(a.batch, a.out_shape()));
  });
}

void concat(const KernelArgs& a) {
  const auto axis = static_cast<std::size_t>(a.node.attrs.get_int("axis"));
  const Shape& s0 = a.in_shape(0);
  const std::size_t es = dtype_size(a.dtype(0));
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= s0[d];
  for (std::size_t d = axis + 1; d < s0.size(); ++d) inner *= s0[d];
  const std::int64_t out_sample = numel(a.out_shape());
  std::byte* dst = out_bytes(a);
  for (std::int64_t b = 0; b < a.batch; ++b) {
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::size_t k = 0; k < a.in.size(); ++k) {
        const std::int64_t chunk = a.in_shape(k)[axis] * inner;
        const std::byte* src = in_bytes(a, k) + static_cast<std::size_t>(b * a.sample_stride(k) + o * chunk) * es;
        if (chunk) std::memcpy(dst, src, static_cast<std::size_t>(chunk) * es);
        dst += static_cast<std::size_t>(chunk) * es;
      }
    }
  }
  BF_ASSERT(dst == out_bytes(a) + static_cast<std::size_t>(a.batch * out_sample) * es);
}

template <typename I>
void gather_typed(const KernelArgs& a) {
  const auto axis = static_cast<std::size_t>(a.node.attrs.get_int("axis"));
  const Shape& xs = a.in_shape(0);
  const std::size_t es = dtype_size(a.dtype(0));
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= xs[d];
  for (std::size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
  const std::int64_t extent = xs[axis];
  const std::int64_t n_idx = numel(a.in_shape(1));
  const I* idx = a.in_data<I>(1);
  std::byte* dst = out_bytes(a);
  const auto row = static_cast<std::size_t>(inner) * es;
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const I* bidx = idx + b * a.sample_stride(1);
    for (std::int64_t j = 0; j < n_idx; ++j) {
      BF_CHECK(bidx[j] >= 0 && bidx[j] < extent, ErrorKind::Invalid,
               "Gather index {} out of range [0, {}) (indices must be normalised to non-negative)",
               static_cast<std::int64_t>(bidx[j]), extent);
    }
    const std::byte* x = in_bytes(a, 0) + static_cast<std::size_t>(b * a.sample_stride(0)) * es;
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t j = 0; j < n_idx; ++j) {
        const auto src = static_cast<std::size_t>(o * extent + static_cast<std::int64_t>(bidx[j])) * row;
        if (row) std::memcpy(dst, x + src, row);
        dst += row;
      }
    }
  }
}

void gather(const KernelArgs& a) {
  switch (a.dtype(1)) {
    case DType::I64:
      gather_typed<std::int64_t>(a);
      return;
    case DType::I32:
      gather_typed<std::int32_t>(a);
      return;
    default:
      fail(ErrorKind::Unsupported, "Gather indices of type {}", dtype_name(a.dtype(1)));
  }
}

// Constant-mode Pad: fill the output with `value`, then copy the part of the
// input that survives (pads may be negative, cropping the input).
void pad(const KernelArgs& a) {
  const auto& pads = a.node.attrs.get_ints("pads");
  const double value = a.node.attrs.get_float("value", 0.0);
  const Shape& in = a.in_shape(0);
  const Shape& out = a.out_shape();
  const std::size_t rank = in.size();
  visit_dtype(a.dtype(0), [&](auto tag) {
    using T = decltype(tag);
    T fill;
    if constexpr (std::is_same_v<T, bool>) {
      fill = value != 0.0;
    } else if constexpr (std::is_floating_point_v<T>) {
      fill = static_cast<T>(value);
    } else {
      BF_CHECK(std::nearbyint(value) == value && value >= static_cast<double>(std::numeric_limits<T>::min()) &&
                   value < static_cast<double>(std::numeric_limits<T>::max()) + 1.0,
               ErrorKind::Invalid, "Pad value {} is not representable in {}", value, dtype_name(a.dtype(0)));
      fill = static_cast<T>(value);
    }
    T* dst = a.out_data<T>();
    std::fill(dst, dst + a.batch * numel(out), fill);
    Shape region{a.batch};
    const auto in_strides = contiguous_strides(in);
    const auto out_strides = contiguous_strides(out);
    std::int64_t src_base = 0, dst_base = 0;
    for (std::size_t d = 0; d < rank; ++d) {
      const std::int64_t begin = pads[d];
      const std::int64_t lo = std::max<std::int64_t>(0, begin);
      const std::int64_t hi = std::min<std::int64_t>(out[d], begin + in[d]);
      if (hi <= lo) return;  // nothing of the input survives
      region.push_back(hi - lo);
      dst_base += lo * out_strides[d];
      src_base += (lo - begin) * in_strides[d];
    }
    std::vector<std::int64_t> src_s{a.sample_stride(0)}, dst_s{numel(out)};
    src_s.insert(src_s.end(), in_strides.begin(), in_strides.end());
    dst_s.insert(dst_s.end(), out_strides.begin(), out_strides.end());
    const T* src = a.in_data<T>(0);
    const std::int64_t len = row_length(region);
    const std::int64_t src_step = src_s.back(), dst_step = dst_s.back();
    for_each_row(region, Strides<2>{src_s, dst_s}, [&](const std::array<std::int64_t, 2>& off) {
      const T* s = src + src_base + off[0];
      T* d = dst + dst_base + off[1];
      for (std::int64_t i = 0; i < len; ++i) d[i * dst_step] = s[i * src_step];
    });
  });
}

}  // namespace

void eval_data_movement(const KernelArgs& a) {
  switch (a.node.op) {
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Identity:
    case OpKind::Dropout:
      return copy_samples(a);
    case OpKind::Transpose:
      return transpose(a);
    case OpKind::Slice:
      return slice(a);
    case OpKind::Concat:
      return concat(a);
    case OpKind::Gather:
      return gather(a);
    case OpKind::Pad:
      return pad(a);
    default:
      fail(ErrorKind::Internal, "{} is not a data-movement op", op_name(a.node.op));
  }
}

}  // namespace bf::kernels
