// MaxPool, AveragePool and GlobalAveragePool over any number of spatial
// dimensions, written plainly. Every (sample, n, c) plane is pooled the same
// way, so the window geometry of each output position is computed once.
#include <cmath>
#include <limits>
#include <vector>

#include "ir/shape_inference.h"
#include "kernels/index_iter.h"
#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

struct Window {
  std::vector<std::int64_t> offsets;  // input elements inside the window (padding left out)
  std::int64_t divisor = 0;           // AveragePool's element count
};

struct PoolGeometry {
  std::int64_t planes = 0;
  Shape in_sp, out_sp, kernel, strides, dilations, pad_begin, pad_end;
};

PoolGeometry geometry(const KernelArgs& a, bool has_dilations) {
  const auto& attrs = a.node.attrs;
  const Shape& xs = a.in_shape(0);
  const std::size_t ns = xs.size() - 2;
  PoolGeometry g;
  g.planes = a.batch * xs[0] * xs[1];
  g.in_sp.assign(xs.begin() + 2, xs.end());
  g.out_sp.assign(a.out_shape().begin() + 2, a.out_shape().end());
  g.kernel = attrs.get_ints("kernel_shape");
  g.strides = attrs.get_ints("strides");
  g.dilations = has_dilations ? attrs.get_ints("dilations") : Shape(ns, 1);
  const auto& pads = attrs.get_ints("pads");
  g.pad_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(ns));
  g.pad_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(ns), pads.end());
  return g;
}

// The window of the output position `oidx`. `count_include_pad` counts the
// window's positions that lie in the padded input [-pad_begin, in + pad_end):
// a ceil_mode window reaching past the end padding is clipped there, as in the
// ONNX reference and PyTorch. Otherwise only real input elements count.
Window window_at(const PoolGeometry& g, const Shape& oidx, bool count_include_pad) {
  const std::size_t ns = oidx.size();
  const auto in_strides = contiguous_strides(g.in_sp);
  // Per dimension: the in-input positions and the padded-extent count.
  std::vector<std::vector<std::int64_t>> valid(ns);
  Window w;
  w.divisor = 1;
  for (std::size_t d = 0; d < ns; ++d) {
    const std::int64_t start = oidx[d] * g.strides[d] - g.pad_begin[d];
    std::int64_t in_padded = 0;
    for (std::int64_t k = 0; k < g.kernel[d]; ++k) {
      const std::int64_t p = start + k * g.dilations[d];
      if (p >= 0 && p < g.in_sp[d]) valid[d].push_back(p * in_strides[d]);
      if (p >= -g.pad_begin[d] && p < g.in_sp[d] + g.pad_end[d]) ++in_padded;
    }
    w.divisor *= in_padded;
  }
  // The window's real elements: the product of the per-dimension positions.
  w.offsets = {0};
  for (std::size_t d = 0; d < ns; ++d) {
    std::vector<std::int64_t> next;
    for (auto base : w.offsets) {
      for (auto off : valid[d]) next.push_back(base + off);
    }
    w.offsets = std::move(next);
  }
  if (!count_include_pad) w.divisor = static_cast<std::int64_t>(w.offsets.size());
  return w;
}

// Padding acts as -inf: a window with no real element yields -inf. NaN propagates.
template <typename T>
void max_pool_typed(const KernelArgs& a) {
  const PoolGeometry g = geometry(a, true);
  const std::int64_t in_size = numel(g.in_sp), out_size = numel(g.out_sp);
  const T* x = a.in_data<T>(0);
  T* y = a.out_data<T>();
  for (std::int64_t o = 0; o < out_size; ++o) {
    const Window w = window_at(g, unravel(o, g.out_sp), false);
    for (std::int64_t p = 0; p < g.planes; ++p) {
      const T* xp = x + p * in_size;
      T m = -std::numeric_limits<T>::infinity();
      for (auto off : w.offsets) {
        const T v = xp[off];
        if (v > m || std::isnan(v)) m = v;
        if (std::isnan(m)) break;
      }
      y[p * out_size + o] = m;
    }
  }
}

// Sums in double, then divides by the window's element count.
template <typename T>
void average_pool_typed(const KernelArgs& a) {
  const PoolGeometry g = geometry(a, false);
  const bool include_pad = a.node.attrs.get_int("count_include_pad", 0) != 0;
  const std::int64_t in_size = numel(g.in_sp), out_size = numel(g.out_sp);
  const T* x = a.in_data<T>(0);
  T* y = a.out_data<T>();
  for (std::int64_t o = 0; o < out_size; ++o) {
    const Window w = window_at(g, unravel(o, g.out_sp), include_pad);
    for (std::int64_t p = 0; p < g.planes; ++p) {
      const T* xp = x + p * in_size;
      double sum = 0.0;
      for (auto off : w.offsets) sum += static_cast<double>(xp[off]);
      y[p * out_size + o] = static_cast<T>(sum / static_cast<double>(w.divisor));
    }
  }
}

template <typename T>
void global_average_pool_typed(const KernelArgs& a) {
  const Shape& xs = a.in_shape(0);
  const std::int64_t planes = a.batch * xs[0] * xs[1];
  const std::int64_t size = numel(Shape(xs.begin() + 2, xs.end()));
  const T* x = a.in_data<T>(0);
  T* y = a.out_data<T>();
  for (std::int64_t p = 0; p < planes; ++p) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < size; ++i) sum += static_cast<double>(x[p * size + i]);
    y[p] = static_cast<T>(sum / static_cast<double>(size));
  }
}

}  // namespace

void eval_max_pool(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { max_pool_typed<decltype(tag)>(a); });
}

void eval_average_pool(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { average_pool_typed<decltype(tag)>(a); });
}

void eval_global_average_pool(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { global_average_pool_typed<decltype(tag)>(a); });
}

}  // namespace bf::kernels
