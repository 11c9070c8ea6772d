// Per-channel and broadcast affine maps: BatchNormalization (inference) and
// ScaleShift. Evaluated operation by operation in the operand dtype, in the
// order ONNX's reference writes them.
#include <cmath>

#include "kernels/index_iter.h"
#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

// y = (x - mean) / sqrt(var + epsilon) * scale + B, channel = dimension 1.
template <typename T>
void batch_norm_typed(const KernelArgs& a) {
  const Shape& xs = a.in_shape(0);
  const std::int64_t channels = xs[1];
  const std::int64_t planes = a.batch * xs[0];
  const std::int64_t size = numel(Shape(xs.begin() + 2, xs.end()));
  const T eps = static_cast<T>(a.node.attrs.get_float("epsilon", 1e-5));
  const T* x = a.in_data<T>(0);
  const T* scale = a.in_data<T>(1);
  const T* bias = a.in_data<T>(2);
  const T* mean = a.in_data<T>(3);
  const T* var = a.in_data<T>(4);
  T* y = a.out_data<T>();
  for (std::int64_t p = 0; p < planes; ++p) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const T denom = std::sqrt(var[c] + eps);
      const std::int64_t base = (p * channels + c) * size;
      for (std::int64_t i = 0; i < size; ++i) y[base + i] = (x[base + i] - mean[c]) / denom * scale[c] + bias[c];
    }
  }
}

// y = x * scale + shift with scale and shift broadcast to x's shape.
template <typename T>
void scale_shift_typed(const KernelArgs& a) {
  const Shape& xs = a.in_shape(0);
  const Shape full = with_batch(a.batch, xs);
  Strides<4> strides = {batched_broadcast_strides(a.sample_stride(0), xs, xs),
                        batched_broadcast_strides(a.sample_stride(1), a.in_shape(1), xs),
                        batched_broadcast_strides(a.sample_stride(2), a.in_shape(2), xs), contiguous_strides(full)};
  const T* x = a.in_data<T>(0);
  const T* scale = a.in_data<T>(1);
  const T* shift = a.in_data<T>(2);
  T* y = a.out_data<T>();
  const std::int64_t len = row_length(full);
  const auto inner = inner_strides(strides);  // named, not bound: clang 14 cannot capture bindings
  const std::int64_t sx = inner[0], sa = inner[1], sb = inner[2], sy = inner[3];
  for_each_row(full, strides, [&](const std::array<std::int64_t, 4>& off) {
    for (std::int64_t i = 0; i < len; ++i) {
      y[off[3] + i * sy] = x[off[0] + i * sx] * scale[off[1] + i * sa] + shift[off[2] + i * sb];
    }
  });
}

}  // namespace

void eval_batch_norm(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { batch_norm_typed<decltype(tag)>(a); });
}

void eval_scale_shift(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { scale_shift_typed<decltype(tag)>(a); });
}

}  // namespace bf::kernels
