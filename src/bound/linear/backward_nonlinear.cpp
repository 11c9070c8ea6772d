// Backward rules through relaxed nonlinear ops (relaxation.h) and the pooling ops.
#include <cmath>

#include "bound/linear/backward_util.h"
#include "bound/linear/relaxation.h"

namespace bf {

using namespace linear_detail;

namespace {

// alpha-CROWN: each row's lines from its own parameters (relaxation.h),
// clamped into their ranges (and set to CROWN's where NaN) in place.
template <typename T>
void relaxed_alpha_typed(const BackwardArgs& a) {
  const std::int64_t n = numel(*a.shapes[0]);
  const std::int64_t pe = a.alpha.elements;
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    const T* l = static_cast<const T*>(a.input.lower) + b * n;
    const T* u = static_cast<const T*>(a.input.upper) + b * n;
    T* p = a.alpha.row<T>(s, a.chunk.slots[r]);
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      T params[2] = {p[e], a.alpha.params > 1 ? p[pe + e] : T(0)};
      const OptRelaxation<T> lines = alpha_relax(a.node, l[k], u[k], params, a.sound);
      p[e] = params[0];
      if (a.alpha.params > 1) p[pe + e] = params[1];
      const T v = row[e];
      if (v == T(0)) continue;
      const OptLine<T>& line = (s == 0) == (v > T(0)) ? lines.lower : lines.upper;
      target.add(k, v * line.slope);
      acc += v * line.icpt;
    }
  });
}

// y within [lower_slope x + lower_icpt, upper_slope x + upper_icpt], per element.
template <typename T>
void relaxed_typed(const BackwardArgs& a) {
  if (a.alpha.params > 0) {
    relaxed_alpha_typed<T>(a);
    return;
  }
  const std::int64_t n = numel(*a.shapes[0]);
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    const T* ls = static_cast<const T*>(a.relax.lower_slope) + b * n;
    const T* li = static_cast<const T*>(a.relax.lower_icpt) + b * n;
    const T* us = static_cast<const T*>(a.relax.upper_slope) + b * n;
    const T* ui = static_cast<const T*>(a.relax.upper_icpt) + b * n;
    T& acc = bias_at<T>(a, s, r);
    // The lower side takes the lower line where A > 0, the upper side where A < 0.
    if (T* t = target.dense(); t != nullptr && oc.dense()) {
      // Entry e is element e on both sides: no index arithmetic, and selects
      // where the side of each line would be an unpredictable branch.
      T sum = acc;
      for (std::int64_t e = 0; e < oc.elements(); ++e) {
        const T v = row[e];
        const bool lower_line = (s == 0) == (v > T(0));
        const T slope = lower_line ? ls[e] : us[e], icpt = lower_line ? li[e] : ui[e];
        t[e] += v == T(0) ? T(0) : v * slope;
        sum += v == T(0) ? T(0) : v * icpt;
      }
      acc = sum;
      return;
    }
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      const bool lower_line = (s == 0) == (v > T(0));
      target.add(k, v * (lower_line ? ls[k] : us[k]));
      acc += v * (lower_line ? li[k] : ui[k]);
    }
  });
}

// MaxPool: y >= x[lower_src]; y <= x[upper_src] or <= upper_const.
template <typename T>
void max_pool_typed(const BackwardArgs& a) {
  const std::int64_t n = numel(a.out.value_shape);
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    const T* lower_src = static_cast<const T*>(a.relax.lower_slope) + b * n;
    const T* upper_src = static_cast<const T*>(a.relax.upper_slope) + b * n;
    const T* upper_const = static_cast<const T*>(a.relax.upper_icpt) + b * n;
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      if ((s == 0) == (v > T(0))) {
        target.add(static_cast<std::int64_t>(lower_src[k]), v);
      } else if (upper_src[k] >= T(0)) {
        target.add(static_cast<std::int64_t>(upper_src[k]), v);
      } else {
        acc += v * upper_const[k];
      }
    }
  });
}

// AveragePool over [1, C, H, W]: each output is the mean of its window's input
// elements, divided as the primal op divides (count_include_pad, ceil_mode).
template <typename T>
void average_pool_typed(const BackwardArgs& a) {
  const Shape& xs = *a.shapes[0];
  const Shape& ys = a.out.value_shape;
  BF_CHECK(xs.size() == 4, ErrorKind::Unsupported,
           "linear bounds of AveragePool '{}' are implemented for 2-D images (input {})", a.node.name, shape_str(xs));
  const auto& attrs = a.node.attrs;
  const auto& k = attrs.get_ints("kernel_shape");
  const auto& st = attrs.get_ints("strides");
  const auto& pads = attrs.get_ints("pads");
  const bool include_pad = attrs.get_int("count_include_pad", 0) != 0;
  const std::int64_t hin = xs[2], win = xs[3], hout = ys[2], wout = ys[3];
  // Once per call, for every output element: its divisor and the input
  // elements of its window (CSR), so the rows only gather and add.
  const std::int64_t outputs = numel(ys);
  std::vector<T> divisor(static_cast<std::size_t>(outputs));
  std::vector<std::int64_t> first(static_cast<std::size_t>(outputs) + 1, 0), sources;
  for (std::int64_t o = 0; o < outputs; ++o) {
    const std::int64_t c = o / (hout * wout), ho = (o / wout) % hout, wo = o % wout;
    std::int64_t inside = 0, padded_h = 0, padded_w = 0;
    for (std::int64_t i = 0; i < k[0]; ++i) {
      const std::int64_t h = ho * st[0] - pads[0] + i;
      if (h >= -pads[0] && h < hin + pads[2]) ++padded_h;
    }
    for (std::int64_t j = 0; j < k[1]; ++j) {
      const std::int64_t w = wo * st[1] - pads[1] + j;
      if (w >= -pads[1] && w < win + pads[3]) ++padded_w;
    }
    for (std::int64_t i = 0; i < k[0]; ++i) {
      for (std::int64_t j = 0; j < k[1]; ++j) {
        const std::int64_t h = ho * st[0] - pads[0] + i, w = wo * st[1] - pads[1] + j;
        if (h >= 0 && h < hin && w >= 0 && w < win) {
          ++inside;
          sources.push_back((c * hin + h) * win + w);
        }
      }
    }
    divisor[static_cast<std::size_t>(o)] = static_cast<T>(include_pad ? padded_h * padded_w : inside);
    first[static_cast<std::size_t>(o) + 1] = static_cast<std::int64_t>(sources.size());
  }
  // Dense rows on both sides: entries are flat elements, no coordinate arithmetic.
  const bool dense = a.out.window.dense() && a.in[0].view.window.dense();
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    T* dst = dense ? row_of<T>(a.in[0].view.side(s), a.in[0].view, r) : nullptr;
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t o = dense ? e : oc.value_index(e);
      if (o < 0) continue;
      const T share = v / divisor[static_cast<std::size_t>(o)];
      for (std::int64_t q = first[static_cast<std::size_t>(o)]; q < first[static_cast<std::size_t>(o) + 1]; ++q) {
        const std::int64_t src = sources[static_cast<std::size_t>(q)];
        if (dense) {
          dst[src] += share;
        } else {
          target.add(src, share);
        }
      }
    }
  });
}

// y[n, c] = mean over the spatial positions of x[n, c, ...].
template <typename T>
void global_average_pool_typed(const BackwardArgs& a) {
  const Shape& xs = *a.shapes[0];
  const std::int64_t channels = xs[1];
  const std::int64_t spatial = numel(xs) / (xs[0] * channels);
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t o = oc.value_index(e);  // n * C + c
      if (o < 0) continue;
      const T share = v / static_cast<T>(spatial);
      for (std::int64_t p = 0; p < spatial; ++p) target.add(o * spatial + p, share);
    }
  });
}

}  // namespace

void backward_relaxed(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { relaxed_typed<decltype(t)>(a); });
}
void backward_max_pool(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { max_pool_typed<decltype(t)>(a); });
}
void backward_average_pool(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { average_pool_typed<decltype(t)>(a); });
}
void backward_global_average_pool(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { global_average_pool_typed<decltype(t)>(a); });
}

}  // namespace bf
