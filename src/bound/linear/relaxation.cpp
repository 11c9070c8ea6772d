#include "bound/linear/relaxation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bound/linear/backward_util.h"
#include "bound/linear/linear_rules.h"
#include "bound/linear/s_shaped.h"
#include "bound/linear/sound_lines.h"

namespace bf {

using namespace linear_detail;

namespace {

template <typename T>
struct Line {
  T slope = 0, icpt = 0;
};

// The line with `slope` through (x0, y0).
template <typename T>
Line<T> through(T slope, T x0, T y0) {
  return {slope, -x0 * slope + y0};
}

template <typename T>
struct Bounds {
  Line<T> lower, upper;
};

// auto_LiRPA's CROWN relaxation of ReLU / LeakyReLU (slope alpha in [0, 1]).
// The chord's slope is computed from the ratio t = lb / ub, never from the
// width ub - lb, which overflows in f32 for bounds near 1e38 (a zero slope
// there would claim y <= 0).
template <typename T>
Bounds<T> relu_relax(T l, T u, T alpha) {
  const T lb_r = std::min(l, T(0));
  const T ub_r = std::max(std::max(u, T(0)), lb_r + T(1e-8));
  T ud, ub;
  if (ub_r <= T(0)) {
    ud = alpha;  // u <= 0 (inactive): the chord is the negative side's line
    ub = T(0);
  } else {
    const T t = lb_r / ub_r;  // in (-inf, 0]
    ud = alpha > T(0) ? (T(1) - alpha * t) / (T(1) - t) : T(1) / (T(1) - t);
    ub = -lb_r * ud + (alpha > T(0) ? alpha * lb_r : T(0));
  }
  const T ld = ud > T(0.5) ? T(1) : alpha;  // "adaptive"
  return {{ld, T(0)}, {ud, ub}};
}

template <typename T>
Bounds<T> s_shaped_relax(SShape f, T l, T u) {
  if (l == u) {
    // One point: the tangent there bounds f on it from both sides, and its
    // slope is the derivative (what an attack at a point region reads).
    const Line<T> t = through(s_slope(f, l), l, s_value(f, l));
    return {t, t};
  }
  const T yl = s_value(f, l), yu = s_value(f, u);
  const T k_direct = (yu - yl) / std::max(u - l, T(1e-8));
  const bool pos = l >= T(0), neg = u <= T(0), both = !pos && !neg;
  Bounds<T> r;
  // Applied in auto_LiRPA's order, so that l == u == 0 ends the same way.
  if (neg) r.upper = through(k_direct, l, yl);
  if (pos) r.lower = through(k_direct, l, yl);
  const T m = (l + u) / T(2);
  const T ym = s_value(f, m), km = s_slope(f, m);
  if (neg) r.lower = through(km, m, ym);
  if (pos) r.upper = through(km, m, ym);
  if (both) {
    auto tangent = [&](T d) -> Line<T> {
      if (!std::isfinite(d)) return {T(0), s_value(f, d)};  // the asymptote: a constant bound
      return through(s_slope(f, d), d, s_value(f, d));
    };
    r.lower = k_direct < s_slope(f, l) ? through(k_direct, l, yl) : tangent(s_lower_tangent_point(f, u));
    r.upper = k_direct < s_slope(f, u) ? through(k_direct, l, yl) : tangent(s_upper_tangent_point(f, l));
  }
  return r;
}

// Clip to [a, b]: exact where at most one kink is inside [l, u] (a shifted ReLU),
// the constant bounds [a, b] around both.
template <typename T>
Bounds<T> clip_relax(T l, T u, T a, T b) {
  if (u <= a) return {{0, a}, {0, a}};
  if (l >= b) return {{0, b}, {0, b}};
  const bool low_kink = l<a, high_kink = u> b;
  if (!low_kink && !high_kink) return {{1, 0}, {1, 0}};
  if (low_kink && high_kink) return {{0, a}, {0, b}};
  if (low_kink) {
    // y = a + relu(x - a)
    const Bounds<T> r = relu_relax(l - a, u - a, T(0));
    return {{r.lower.slope, a - r.lower.slope * a + r.lower.icpt},
            {r.upper.slope, a - r.upper.slope * a + r.upper.icpt}};
  }
  // y = b - relu(b - x): the lower side takes relu's upper line and vice versa.
  const Bounds<T> r = relu_relax(b - u, b - l, T(0));
  return {{r.upper.slope, b - r.upper.slope * b - r.upper.icpt}, {r.lower.slope, b - r.lower.slope * b - r.lower.icpt}};
}

// A relaxed op that reached an elementwise relaxation without one of its own:
// an error, never another op's lines.
[[noreturn]] void no_elementwise_relaxation(const Node& node) {
  fail(ErrorKind::Internal, "'{}' ({}) has no elementwise relaxation", node.name, op_name(node.op));
}

template <typename T>
T apply(const Node& node, T x) {
  switch (node.op) {
    case OpKind::Relu:
      return x > T(0) ? x : T(0);
    case OpKind::LeakyRelu:
      return x >= T(0) ? x : static_cast<T>(node.attrs.get_float("alpha", 0.01)) * x;
    case OpKind::Sigmoid:
      return s_value(SShape::Sigmoid, x);
    case OpKind::Tanh:
      return s_value(SShape::Tanh, x);
    case OpKind::Clip: {
      const T a = static_cast<T>(node.attrs.get_float("min", -std::numeric_limits<double>::infinity()));
      const T b = static_cast<T>(node.attrs.get_float("max", std::numeric_limits<double>::infinity()));
      return std::min(std::max(x, a), b);
    }
    default:
      no_elementwise_relaxation(node);
  }
}

// The op as the exact real function sound_lines.h repairs lines of.
ScalarFn scalar_fn(const Node& node) {
  ScalarFn f;
  switch (node.op) {
    case OpKind::Relu:
      f.kind = SoundFn::Relu;
      break;
    case OpKind::LeakyRelu:
      f.kind = SoundFn::LeakyRelu;
      f.alpha = node.attrs.get_float("alpha", 0.01);  // as the IR holds it (an ONNX float, exactly)
      break;
    case OpKind::Sigmoid:
      f.kind = SoundFn::Sigmoid;
      break;
    case OpKind::Tanh:
      f.kind = SoundFn::Tanh;
      break;
    case OpKind::Clip:
      f.kind = SoundFn::Clip;
      f.lo = node.attrs.get_float("min", -std::numeric_limits<double>::infinity());
      f.hi = node.attrs.get_float("max", std::numeric_limits<double>::infinity());
      break;
    default:
      no_elementwise_relaxation(node);
  }
  return f;
}

template <typename T>
Bounds<T> elementwise_relax_unrepaired(const Node& node, T l, T u) {
  BF_CHECK(!std::isnan(l) && !std::isnan(u), ErrorKind::Invalid,
           "an input bound is NaN (an overflow in {}? try --dtype f64)", sizeof(T) == 4 ? "f32" : "f64");
  const bool relu_like = node.op == OpKind::Relu || node.op == OpKind::LeakyRelu;
  if (!std::isfinite(l) || !std::isfinite(u) || (!relu_like && !std::isfinite(u - l))) {
    // Every op here is non-decreasing: the constants [f(l), f(u)] bound it.
    // (Also where the width overflows: the chords and tangents divide by it.)
    return {{T(0), apply(node, l)}, {T(0), apply(node, u)}};
  }
  switch (node.op) {
    case OpKind::Relu:
      return relu_relax(l, u, T(0));
    case OpKind::LeakyRelu:
      return relu_relax(l, u, static_cast<T>(node.attrs.get_float("alpha", 0.01)));
    case OpKind::Sigmoid:
      return s_shaped_relax(SShape::Sigmoid, l, u);
    case OpKind::Tanh:
      return s_shaped_relax(SShape::Tanh, l, u);
    case OpKind::Clip:
      return clip_relax(l, u, static_cast<T>(node.attrs.get_float("min", -std::numeric_limits<double>::infinity())),
                        static_cast<T>(node.attrs.get_float("max", std::numeric_limits<double>::infinity())));
    default:
      no_elementwise_relaxation(node);
  }
}

// A Relu's lines over a stable interval are the function itself (x, or 0):
// exact, nothing to repair (most elements of a branch-and-bound domain are
// stable, and the sweeps ask for every element's lines in every row).
template <typename T>
bool exact_relu_lines(const Node& node, T l, T u, const Bounds<T>& r) {
  return node.op == OpKind::Relu && r.lower.icpt == T(0) && r.upper.icpt == T(0) &&
         ((l >= T(0) && r.lower.slope == T(1) && r.upper.slope == T(1)) ||
          (u <= T(0) && r.lower.slope == T(0) && r.upper.slope == T(0)));
}

// The lines, their intercepts made sound over [l, u] when asked.
template <typename T>
Bounds<T> elementwise_relax(const Node& node, T l, T u, bool sound) {
  Bounds<T> r = elementwise_relax_unrepaired(node, l, u);
  if (sound && !exact_relu_lines(node, l, u, r)) {
    const ScalarFn f = scalar_fn(node);
    r.lower.icpt = sound_lower_intercept(f, l, u, r.lower.slope, r.lower.icpt);
    r.upper.icpt = sound_upper_intercept(f, l, u, r.upper.slope, r.upper.icpt);
  }
  return r;
}

template <typename T>
void elementwise_typed(const Node& node, std::int64_t n, IntervalView in, void* const planes[4], bool sound) {
  const T* l = static_cast<const T*>(in.lower);
  const T* u = static_cast<const T*>(in.upper);
  T* ls = static_cast<T*>(planes[0]);
  T* li = static_cast<T*>(planes[1]);
  T* us = static_cast<T*>(planes[2]);
  T* ui = static_cast<T*>(planes[3]);
  for (std::int64_t k = 0; k < n; ++k) {
    const Bounds<T> r = elementwise_relax(node, l[k], u[k], sound);
    ls[k] = r.lower.slope;
    li[k] = r.lower.icpt;
    us[k] = r.upper.slope;
    ui[k] = r.upper.icpt;
  }
}

// MaxPool over [1, C, H, W]: see relaxation.h.
template <typename T>
void max_pool_typed(const Node& node, std::int64_t batch, const Shape& xs, const Shape& ys, IntervalView in,
                    void* const planes[4]) {
  const auto& attrs = node.attrs;
  const auto& k = attrs.get_ints("kernel_shape");
  const auto& st = attrs.get_ints("strides");
  const auto& pads = attrs.get_ints("pads");
  const auto& dil = attrs.get_ints("dilations");
  const bool padded = std::any_of(pads.begin(), pads.end(), [](std::int64_t p) { return p != 0; });
  const std::int64_t channels = xs[1], hin = xs[2], win = xs[3], hout = ys[2], wout = ys[3];
  const std::int64_t in_n = numel(xs), out_n = numel(ys);
  for (std::int64_t b = 0; b < batch; ++b) {
    const T* l = static_cast<const T*>(in.lower) + b * in_n;
    const T* u = static_cast<const T*>(in.upper) + b * in_n;
    T* lower_src = static_cast<T*>(planes[0]) + b * out_n;
    T* unused = static_cast<T*>(planes[1]) + b * out_n;
    T* upper_src = static_cast<T*>(planes[2]) + b * out_n;
    T* upper_const = static_cast<T*>(planes[3]) + b * out_n;
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t ho = 0; ho < hout; ++ho) {
        for (std::int64_t wo = 0; wo < wout; ++wo) {
          std::int64_t best = -1;
          bool touches_padding = false;
          T max_upper = -std::numeric_limits<T>::infinity();
          for (std::int64_t i = 0; i < k[0]; ++i) {
            for (std::int64_t j = 0; j < k[1]; ++j) {
              const std::int64_t h = ho * st[0] - pads[0] + i * dil[0], w = wo * st[1] - pads[1] + j * dil[1];
              if (h < 0 || h >= hin || w < 0 || w >= win) {
                touches_padding = true;
                continue;
              }
              const std::int64_t idx = (c * hin + h) * win + w;
              if (best < 0 || l[idx] > l[best]) best = idx;  // first maximum, as torch
              max_upper = std::max(max_upper, u[idx]);
            }
          }
          // The largest upper bound among the others. auto_LiRPA pads the upper
          // bounds with zeros here, so a window touching padding sees a 0.
          T others = (padded && touches_padding) ? T(0) : -std::numeric_limits<T>::infinity();
          for (std::int64_t i = 0; i < k[0]; ++i) {
            for (std::int64_t j = 0; j < k[1]; ++j) {
              const std::int64_t h = ho * st[0] - pads[0] + i * dil[0], w = wo * st[1] - pads[1] + j * dil[1];
              if (h < 0 || h >= hin || w < 0 || w >= win) continue;
              const std::int64_t idx = (c * hin + h) * win + w;
              if (idx != best) others = std::max(others, u[idx]);
            }
          }
          const std::int64_t o = (c * hout + ho) * wout + wo;
          lower_src[o] = static_cast<T>(best);
          unused[o] = T(0);
          const bool linear = l[best] >= others;
          upper_src[o] = linear ? static_cast<T>(best) : T(-1);
          upper_const[o] = linear ? T(0) : max_upper;
        }
      }
    }
  }
}

template <typename T>
T s_curvature(SShape f, T x) {
  const T y = s_value(f, x);
  return f == SShape::Sigmoid ? y * (T(1) - y) * (T(1) - T(2) * y) : T(-2) * y * (T(1) - y * y);
}

// The tangent at t, with its derivatives by t: slope f'(t), icpt f(t) - t f'(t).
template <typename T>
OptLine<T> tangent_line(SShape f, T t, int param) {
  const T k = s_slope(f, t), c = s_curvature(f, t);
  return {k, s_value(f, t) - t * k, param, c, -t * c};
}

template <typename T>
OptLine<T> fixed(const Line<T>& line) {
  return {line.slope, line.icpt, -1, T(0), T(0)};
}

}  // namespace

int alpha_params(const Node& node) {
  // Ops whose backward rule needs no relaxation have no lines to optimise.
  if (linear_rule(node.op).relax == RelaxKind::None) return 0;
  switch (node.op) {
    case OpKind::Relu:
    case OpKind::LeakyRelu:
      return 1;
    case OpKind::Sigmoid:
    case OpKind::Tanh:
      return 2;
    case OpKind::Clip:     // fixed lines (CROWN's)
    case OpKind::MaxPool:  // fixed lines (CROWN's)
      return 0;
    default:
      fail(ErrorKind::Internal, "'{}' ({}) has a relaxation but alpha-CROWN does not say whether it optimises it",
           node.name, op_name(node.op));
  }
}

namespace {

// alpha_relax before the optimised lines' intercepts are repaired.
template <typename T>
OptRelaxation<T> alpha_lines(const Node& node, T l, T u, T* p, bool sound) {
  const Bounds<T> crown = elementwise_relax(node, l, u, sound);
  OptRelaxation<T> r{fixed(crown.lower), fixed(crown.upper)};
  if (!std::isfinite(l) || !std::isfinite(u)) return r;
  switch (node.op) {
    case OpKind::Relu:
    case OpKind::LeakyRelu: {
      if (!(l < T(0) && u > T(0))) return r;
      const T leak = node.op == OpKind::Relu ? T(0) : static_cast<T>(node.attrs.get_float("alpha", 0.01));
      if (std::isnan(p[0])) p[0] = crown.lower.slope;
      p[0] = std::clamp(p[0], leak, T(1));
      r.lower = {p[0], T(0), 0, T(1), T(0)};
      return r;
    }
    case OpKind::Sigmoid:
    case OpKind::Tanh: {
      const SShape f = node.op == OpKind::Sigmoid ? SShape::Sigmoid : SShape::Tanh;
      const T m = (l + u) / T(2);
      if (u <= T(0)) {  // convex: the lower line is a tangent inside [l, u]
        if (std::isnan(p[0])) p[0] = m;
        p[0] = std::clamp(p[0], l, u);
        r.lower = tangent_line(f, p[0], 0);
        return r;
      }
      if (l >= T(0)) {  // concave: the upper line is
        if (std::isnan(p[1])) p[1] = m;
        p[1] = std::clamp(p[1], l, u);
        r.upper = tangent_line(f, p[1], 1);
        return r;
      }
      const T yl = s_value(f, l), yu = s_value(f, u);
      const T k_direct = (yu - yl) / std::max(u - l, T(1e-8));
      if (!(k_direct < s_slope(f, l))) {
        const T d = s_lower_tangent_point(f, u);
        if (std::isfinite(d)) {
          if (std::isnan(p[0])) p[0] = d;
          p[0] = std::min(p[0], d);
          r.lower = tangent_line(f, p[0], 0);
        }
      }
      if (!(k_direct < s_slope(f, u))) {
        const T d = s_upper_tangent_point(f, l);
        if (std::isfinite(d)) {
          if (std::isnan(p[1])) p[1] = d;
          p[1] = std::max(p[1], d);
          r.upper = tangent_line(f, p[1], 1);
        }
      }
      return r;
    }
    case OpKind::Clip:
      return r;  // fixed lines (alpha_params: 0)
    default:
      no_elementwise_relaxation(node);
  }
}

}  // namespace

template <typename T>
OptRelaxation<T> alpha_relax(const Node& node, T l, T u, T* p, bool sound) {
  OptRelaxation<T> r = alpha_lines(node, l, u, p, sound);
  if (sound) {
    // Lines a parameter shapes (the CROWN ones came repaired already).
    const ScalarFn f = scalar_fn(node);
    if (r.lower.param >= 0) r.lower.icpt = sound_lower_intercept(f, l, u, r.lower.slope, r.lower.icpt);
    if (r.upper.param >= 0) r.upper.icpt = sound_upper_intercept(f, l, u, r.upper.slope, r.upper.icpt);
  }
  return r;
}

template OptRelaxation<float> alpha_relax(const Node&, float, float, float*, bool);
template OptRelaxation<double> alpha_relax(const Node&, double, double, double*, bool);

std::int64_t relaxation_elements(const Node& node, const Shape& in_shape, const Shape& out_shape) {
  if (linear_rule(node.op).relax == RelaxKind::None) return 0;
  switch (node.op) {
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
      return numel(in_shape);
    case OpKind::MaxPool:
      return numel(out_shape);
    default:
      fail(ErrorKind::Internal, "'{}' ({}) has a relaxation but no layout for it", node.name, op_name(node.op));
  }
}

void compute_relaxation(const Node& node, DType dtype, std::int64_t batch, const Shape& in_shape,
                        const Shape& out_shape, IntervalView input, void* const planes[4], bool sound) {
  visit_real(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (node.op == OpKind::MaxPool) {
      BF_CHECK(in_shape.size() == 4, ErrorKind::Unsupported,
               "linear bounds of MaxPool '{}' are implemented for 2-D images (input {})", node.name,
               shape_str(in_shape));
      max_pool_typed<T>(node, batch, in_shape, out_shape, input, planes);
    } else {
      if (node.op == OpKind::LeakyRelu) {
        const double alpha = node.attrs.get_float("alpha", 0.01);
        BF_CHECK(alpha >= 0.0 && alpha <= 1.0, ErrorKind::Unsupported,
                 "linear bounds of LeakyRelu '{}' need 0 <= alpha <= 1 (alpha {})", node.name, alpha);
      }
      elementwise_typed<T>(node, batch * numel(in_shape), input, planes, sound);
    }
  });
}

}  // namespace bf
