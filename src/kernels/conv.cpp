// Conv and ConvTranspose over 1 or more spatial dimensions, with groups, pads,
// strides and dilations. f32 runs through oneDNN (convolution_forward,
// deconvolution_forward) for 1 to 3 spatial dimensions, the batch folded into N.
// f64 uses the plain loops below (oneDNN has no f64 on CPU), and so does f32 with
// more spatial dimensions than oneDNN handles.
#include <type_traits>
#include <vector>

#include "kernels/dnnl_ops.h"
#include "kernels/index_iter.h"
#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

struct ConvGeometry {
  std::int64_t n = 0, cin = 0, cout = 0, group = 1;
  Shape in_sp, out_sp, kernel, strides, dilations, pad_begin, pad_end, out_pad;
};

ConvGeometry geometry(const KernelArgs& a, bool transposed) {
  const auto& attrs = a.node.attrs;
  const Shape& xs = a.in_shape(0);
  const Shape& ys = a.out_shape();
  const std::size_t ns = xs.size() - 2;
  ConvGeometry g;
  // Samples are contiguous [N, C, ...] blocks, so the batch folds into N.
  g.n = a.batch * xs[0];
  g.cin = xs[1];
  g.cout = ys[1];
  g.group = attrs.get_int("group");
  g.in_sp.assign(xs.begin() + 2, xs.end());
  g.out_sp.assign(ys.begin() + 2, ys.end());
  g.kernel = attrs.get_ints("kernel_shape");
  g.strides = attrs.get_ints("strides");
  g.dilations = attrs.get_ints("dilations");
  const auto& pads = attrs.get_ints("pads");
  g.pad_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(ns));
  g.pad_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(ns), pads.end());
  g.out_pad = transposed ? attrs.get_ints("output_padding") : Shape(ns, 0);
  return g;
}

// Every kernel position as a vector of spatial offsets, in C order.
std::vector<Shape> kernel_positions(const Shape& kernel) {
  std::vector<Shape> positions;
  Shape idx(kernel.size(), 0);
  for (std::int64_t t = 0; t < numel(kernel); ++t) {
    positions.push_back(idx);
    for (std::int64_t d = static_cast<std::int64_t>(idx.size()) - 1; d >= 0; --d) {
      const auto du = static_cast<std::size_t>(d);
      if (++idx[du] < kernel[du]) break;
      idx[du] = 0;
    }
  }
  return positions;
}

// y[n, oc, o] = b[oc] + sum_{ic in oc's group, k} x[n, ic, o*s - pad + k*d] w[oc, ic, k],
// positions outside the input contributing nothing (zero padding). Accumulated in double.
template <typename T>
void conv_loops(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y) {
  const std::int64_t in_size = numel(g.in_sp), out_size = numel(g.out_sp), ksize = numel(g.kernel);
  const std::int64_t cin_g = g.cin / g.group, cout_g = g.cout / g.group;
  const auto in_strides = contiguous_strides(g.in_sp);
  const auto kpos = kernel_positions(g.kernel);
  std::vector<std::int64_t> src(static_cast<std::size_t>(ksize));  // input offset per kernel position, -1 = padding
  for (std::int64_t o = 0; o < out_size; ++o) {
    const Shape oidx = unravel(o, g.out_sp);
    for (std::int64_t kk = 0; kk < ksize; ++kk) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < oidx.size() && off >= 0; ++d) {
        const std::int64_t p =
            oidx[d] * g.strides[d] - g.pad_begin[d] + kpos[static_cast<std::size_t>(kk)][d] * g.dilations[d];
        off = (p < 0 || p >= g.in_sp[d]) ? -1 : off + p * in_strides[d];
      }
      src[static_cast<std::size_t>(kk)] = off;
    }
    for (std::int64_t n = 0; n < g.n; ++n) {
      for (std::int64_t oc = 0; oc < g.cout; ++oc) {
        const std::int64_t grp = oc / cout_g;
        double acc = bias ? static_cast<double>(bias[oc]) : 0.0;
        for (std::int64_t ic = 0; ic < cin_g; ++ic) {
          const T* xc = x + (n * g.cin + grp * cin_g + ic) * in_size;
          const T* wc = w + (oc * cin_g + ic) * ksize;
          for (std::int64_t kk = 0; kk < ksize; ++kk) {
            const std::int64_t off = src[static_cast<std::size_t>(kk)];
            if (off >= 0) acc += static_cast<double>(xc[off]) * static_cast<double>(wc[kk]);
          }
        }
        y[(n * g.cout + oc) * out_size + o] = static_cast<T>(acc);
      }
    }
  }
}

// ConvTranspose scatters: x[n, ic, i] w[ic, oc, k] adds to y[n, g*cout_g + oc, i*s - pad + k*d]
// (positions outside the output, cut by pads, are dropped). Accumulated in double.
template <typename T>
void conv_transpose_loops(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y) {
  const std::int64_t in_size = numel(g.in_sp), out_size = numel(g.out_sp), ksize = numel(g.kernel);
  const std::int64_t cin_g = g.cin / g.group, cout_g = g.cout / g.group;
  const auto out_strides = contiguous_strides(g.out_sp);
  const auto kpos = kernel_positions(g.kernel);
  std::vector<double> acc(static_cast<std::size_t>(g.n * g.cout * out_size), 0.0);
  std::vector<std::int64_t> dst(static_cast<std::size_t>(ksize));
  for (std::int64_t i = 0; i < in_size; ++i) {
    const Shape iidx = unravel(i, g.in_sp);
    for (std::int64_t kk = 0; kk < ksize; ++kk) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < iidx.size() && off >= 0; ++d) {
        const std::int64_t p =
            iidx[d] * g.strides[d] - g.pad_begin[d] + kpos[static_cast<std::size_t>(kk)][d] * g.dilations[d];
        off = (p < 0 || p >= g.out_sp[d]) ? -1 : off + p * out_strides[d];
      }
      dst[static_cast<std::size_t>(kk)] = off;
    }
    for (std::int64_t n = 0; n < g.n; ++n) {
      for (std::int64_t ic = 0; ic < g.cin; ++ic) {
        const double xv = x[(n * g.cin + ic) * in_size + i];
        const std::int64_t grp = ic / cin_g;
        for (std::int64_t oc = 0; oc < cout_g; ++oc) {
          const T* wc = w + (ic * cout_g + oc) * ksize;
          double* yc = acc.data() + (n * g.cout + grp * cout_g + oc) * out_size;
          for (std::int64_t kk = 0; kk < ksize; ++kk) {
            const std::int64_t off = dst[static_cast<std::size_t>(kk)];
            if (off >= 0) yc[off] += xv * static_cast<double>(wc[kk]);
          }
        }
      }
    }
  }
  for (std::int64_t n = 0; n < g.n; ++n) {
    for (std::int64_t oc = 0; oc < g.cout; ++oc) {
      const double b = bias ? static_cast<double>(bias[oc]) : 0.0;
      for (std::int64_t o = 0; o < out_size; ++o) {
        const auto at = static_cast<std::size_t>((n * g.cout + oc) * out_size + o);
        y[at] = static_cast<T>(acc[at] + b);
      }
    }
  }
}

template <typename T>
void conv_typed(const KernelArgs& a, bool transposed) {
  const ConvGeometry g = geometry(a, transposed);
  const T* x = a.in_data<T>(0);
  const T* w = a.in_data<T>(1);
  const T* bias = a.has(2) ? a.in_data<T>(2) : nullptr;
  T* y = a.out_data<T>();
  if constexpr (std::is_same_v<T, float>) {
    // oneDNN rejects empty tensors (zero channels); the loops give the bias alone.
    if (dnnl_conv_supported(g.in_sp.size()) && numel(a.in_shape(0)) > 0 && numel(a.in_shape(1)) > 0) {
      DnnlConv p;
      p.transposed = transposed;
      p.n = g.n, p.cin = g.cin, p.cout = g.cout, p.group = g.group;
      p.in_spatial = g.in_sp, p.out_spatial = g.out_sp, p.kernel = g.kernel, p.strides = g.strides;
      p.dilations = g.dilations, p.pad_begin = g.pad_begin, p.pad_end = g.pad_end;
      // ONNX's output_padding extends the output at the end: a smaller end pad for oneDNN.
      for (std::size_t d = 0; d < g.out_pad.size(); ++d) p.pad_end[d] -= g.out_pad[d];
      p.x = x, p.w = w, p.bias = bias, p.y = y;
      dnnl_conv_f32(p);
      return;
    }
  }
  if (transposed) {
    conv_transpose_loops<T>(g, x, w, bias, y);
  } else {
    conv_loops<T>(g, x, w, bias, y);
  }
}

}  // namespace

void eval_conv(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { conv_typed<decltype(tag)>(a, false); });
}

void eval_conv_transpose(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { conv_typed<decltype(tag)>(a, true); });
}

}  // namespace bf::kernels
