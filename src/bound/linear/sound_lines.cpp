// Sound intercepts for relaxation lines (sound_lines.h). The error analysis is in docs/soundness.md.
//
// Every bound is computed in double (also for T = float) with round-to-nearest, the mode the program runs in (the
// build has no -frounding-math, so fesetround is not an option). A result is made one-sided by looking at its exact
// error: TwoSum for a sum, an fma residual for a product or a quotient; it is stepped one ulp outward (nextafter)
// only where that error is on the wrong side or cannot be told. Every helper takes doubles and returns the bound, so
// no product reaches an addition unrounded: FMA contraction (on by default in GCC) finds nothing to fuse here.
#include "bound/linear/sound_lines.h"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "support/error.h"
#include "support/outward_round.h"

#if defined(__FAST_MATH__)
#error "sound_lines.cpp needs IEEE arithmetic: -ffast-math reassociates TwoSum away"
#endif
static_assert(std::numeric_limits<double>::is_iec559 && std::numeric_limits<float>::is_iec559);
static_assert(FLT_EVAL_METHOD == 0, "double expressions must round to double (no x87 excess precision)");

namespace bf {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// The absolute term of the libm error assumption (2^-1022): 4 ulp of a subnormal result is 2^-1072, below it.
constexpr double kTiny = DBL_MIN;

struct Iv {  // the closed interval [lo, hi] of reals
  double lo, hi;
};

// The neighbouring doubles (support/outward_round.h: inline, they run on most operations).
double down(double x) { return next_down<double>(x); }
double up(double x) { return next_up<double>(x); }

// c ? x : y with both computed: the choice depends on rounding errors, which branch prediction cannot learn.
double select(bool c, double x, double y) {
  const std::uint64_t mask = -static_cast<std::uint64_t>(c);
  return std::bit_cast<double>((std::bit_cast<std::uint64_t>(x) & mask) | (std::bit_cast<std::uint64_t>(y) & ~mask));
}

// NaN-safe min / max of bounds: a NaN candidate (from inf - inf on absurd inputs) gives up the bound instead of
// being dropped, as std::min would drop it.
double lower_of(double a, double b) { return std::isnan(a) || std::isnan(b) ? -kInf : std::min(a, b); }
double upper_of(double a, double b) { return std::isnan(a) || std::isnan(b) ? kInf : std::max(a, b); }

// a + b rounded down / up. TwoSum (Knuth) gives the exact error of s = RN(a + b) for finite a, b, so these are the
// correctly rounded sums. On overflow, or when a TwoSum step overflows (err is then NaN), s steps outward, which
// always suffices: RN(a + b) is one of the two doubles around a + b.
double add_dn(double a, double b) {
  const double s = a + b;
  if (!std::isfinite(s)) return std::isfinite(a) && std::isfinite(b) ? down(s) : s;
  const double z = s - a, err = (a - (s - z)) + (b - z);
  return select(err >= 0, s, down(s));
}
double add_up(double a, double b) {
  const double s = a + b;
  if (!std::isfinite(s)) return std::isfinite(a) && std::isfinite(b) ? up(s) : s;
  const double z = s - a, err = (a - (s - z)) + (b - z);
  return select(err <= 0, s, up(s));
}
double sub_dn(double a, double b) { return add_dn(a, -b); }
double sub_up(double a, double b) { return add_up(a, -b); }

// a * b rounded down / up. Where |p| >= 2^-966 for p = RN(ab), a nonzero residual ab - p is at least 2^-1072 in
// magnitude: ab is an integer multiple of w, the product of the operands' last-bit weights, and |ab| < 2^106 w gives
// w >= 2^-1072; p is a multiple of its ulp >= 2^-1018. So fma's RN(ab - p) has the residual's sign and these are the
// correctly rounded products. Smaller or overflowed products step one ulp outward, which always suffices.
double mul_dn(double a, double b) {
  const double p = a * b;
  if (a == 0 || b == 0 || std::isnan(p)) return p;  // +-0 exactly (NaN for 0 * inf)
  if (!(std::fabs(p) >= 0x1p-966) || std::isinf(p)) return down(p);
  return select(std::fma(a, b, -p) >= 0, p, down(p));
}
double mul_up(double a, double b) {
  const double p = a * b;
  if (a == 0 || b == 0 || std::isnan(p)) return p;
  if (!(std::fabs(p) >= 0x1p-966) || std::isinf(p)) return up(p);
  return select(std::fma(a, b, -p) <= 0, p, up(p));
}

// a / b rounded down / up: a nonzero r = RN(a - qb) has the sign of a - qb, which with b's sign says on which side of
// a / b the quotient q = RN(a / b) lies. A zero (or NaN) r, an exact quotient or an underflowed residual, steps q.
double div_dn(double a, double b) {
  const double q = a / b;
  if (std::isnan(q) || (a == 0 && b != 0)) return q;
  const double r = std::fma(-q, b, a);
  return select(b > 0 ? r > 0 : r < 0, q, down(q));
}
double div_up(double a, double b) {
  const double q = a / b;
  if (std::isnan(q) || (a == 0 && b != 0)) return q;
  const double r = std::fma(-q, b, a);
  return select(b > 0 ? r < 0 : r > 0, q, up(q));
}

// The enclosure of F(x) from y = libm's F(x) (exp, tanh), under the assumption |y - F(x)| <= 2^-50 |F(x)| + 2^-1022
// (4 ulp of the true value, tested in sound_lines_test.cpp). Then |F(x)| <= (|y| + 2^-1022) / (1 - 2^-50), so
// |y - F(x)| <= 2^-50 (|y| + 2^-1022) / (1 - 2^-50) + 2^-1022 <= 2^-49 |y| + 2^-1071 + 2^-1022 <= 2^-49 |y| + 2^-1021.
Iv libm_enclosure(double y) {
  const double r = add_up(mul_up(std::fabs(y), 0x1p-49), 2 * kTiny);
  return {sub_dn(y, r), add_up(y, r)};
}

struct SigPair {  // enclosures of sigmoid(x) and sigmoid(-x) = 1 - sigmoid(x)
  Iv pos, neg;
};

// From e = exp(-|x|) in (0, 1] (never overflows): sigmoid(|x|) = 1 / (1 + e) and sigmoid(-|x|) = e / (1 + e). Both are
// monotone in e, so e's enclosure ends give theirs, and neither is formed as 1 - something (no cancellation).
SigPair sigmoid_pair(double x) {
  if (x == 0) return {{0.5, 0.5}, {0.5, 0.5}};
  Iv e = libm_enclosure(std::exp(-std::fabs(x)));
  e.lo = std::max(e.lo, 0.0);
  const Iv big{div_dn(1, add_up(1, e.hi)), std::min(1.0, div_up(1, add_dn(1, e.lo)))};
  const Iv small{std::max(0.0, div_dn(e.lo, add_up(1, e.lo))), div_up(e.hi, add_dn(1, e.hi))};
  return x > 0 ? SigPair{big, small} : SigPair{small, big};
}

Iv tanh_value(double x) {
  if (x == 0) return {0, 0};
  const Iv t = libm_enclosure(std::tanh(x));
  return {std::max(t.lo, -1.0), std::min(t.hi, 1.0)};
}

Iv s_value(SoundFn kind, double x) { return kind == SoundFn::Sigmoid ? sigmoid_pair(x).pos : tanh_value(x); }

// f(x) and f'(x) for sigmoid and tanh. The derivatives are products of positive enclosures, without cancellation:
// sigmoid' = sigmoid(x) sigmoid(-x); tanh' = 1 - tanh^2 = 4 sigmoid(2x) sigmoid(-2x) (2x and the factor 4 are exact;
// where 2x overflows, exp(-inf) = 0 still lies in the enclosure of exp(-2|x|) < 2^-1074).
void s_value_slope(SoundFn kind, double x, Iv& y, Iv& dy) {
  const SigPair s = sigmoid_pair(kind == SoundFn::Sigmoid ? x : 2 * x);
  const double scale = kind == SoundFn::Sigmoid ? 1 : 4;
  y = kind == SoundFn::Sigmoid ? s.pos : tanh_value(x);
  dy = {mul_dn(scale, mul_dn(s.pos.lo, s.neg.lo)), mul_up(scale, mul_up(s.pos.hi, s.neg.hi))};
}

// The point p <= 0 of the convex branch where f'(p) = k, in closed forms free of cancellation (its accuracy matters
// only for tightness). Sigmoid: sigmoid(p) = s = (1 - sqrt(1 - 4k)) / 2 = 2k / (1 + sqrt(1 - 4k)), and
// p = log(s / (1 - s)). Tanh: p = atanh(-sqrt(1 - k)) = log(sqrt(k) / (1 + sqrt(1 - k))). -inf for k <= 0 (f' > k on
// the whole branch), 0 for k >= max f' (f' <= k there).
double stationary_point(SoundFn kind, double k) {
  if (!(k > 0)) return -kInf;
  if (kind == SoundFn::Sigmoid) return k >= 0.25 ? 0.0 : std::log(2 * k / (1 + std::sqrt(1 - 4 * k) - 2 * k));
  return k >= 1 ? 0.0 : std::log(std::sqrt(k) / (1 + std::sqrt(1 - k)));
}

// A lower bound of min over [a, b] (b <= 0) of h(x) = f(x) - k x with f convex there: for any p in [a, b],
// h(x) >= h(p) + h'(p) (x - p), and that line's minimum over [a, b] is at a corner of the enclosures of h'(p) and
// x - p. Taking p where h'(p) ~ 0 (the minimiser of h, clamped to [a, b]) makes the bound tight.
double convex_floor(SoundFn kind, double a, double b, double k) {
  const double p = std::clamp(stationary_point(kind, k), a, b);
  Iv y, dy;
  s_value_slope(kind, p, y, dy);
  const double hp = sub_dn(y.lo, mul_up(k, p));
  const double d_lo = sub_dn(dy.lo, k), d_hi = sub_up(dy.hi, k);  // h'(p)
  const double w_lo = sub_dn(a, p), w_hi = sub_up(b, p);          // x - p: w_lo <= 0 <= w_hi
  const double lin =
      lower_of(lower_of(mul_dn(d_lo, w_lo), mul_dn(d_lo, w_hi)), lower_of(mul_dn(d_hi, w_lo), mul_dn(d_hi, w_hi)));
  return add_dn(hp, lin);
}

// A lower bound of min over [l, u] (finite) of f(x) - k x for sigmoid and tanh: f is convex on [l, min(u, 0)] and
// concave on [max(l, 0), u], where f(x) - k x is concave and so least at an end.
double s_floor(SoundFn kind, double l, double u, double k) {
  double m = kInf;
  if (l < 0) m = convex_floor(kind, l, std::min(u, 0.0), k);
  if (u >= 0) {
    for (const double p : {std::max(l, 0.0), u}) m = lower_of(m, sub_dn(s_value(kind, p).lo, mul_up(k, p)));
  }
  return m;
}

// f(p) = a p + b on a piece of the piecewise-linear f that holds p (at a kink both pieces agree).
struct Piece {
  double a, b;
};
Piece piece(const ScalarFn& f, double p) {
  switch (f.kind) {
    case SoundFn::Relu:
      return p > 0 ? Piece{1, 0} : Piece{0, 0};
    case SoundFn::LeakyRelu:
      return p >= 0 ? Piece{1, 0} : Piece{f.alpha, 0};
    case SoundFn::Clip:  // min(max(p, lo), hi) is hi everywhere when lo >= hi
      if (p >= f.hi || f.lo >= f.hi) return {0, f.hi};
      return p <= f.lo ? Piece{0, f.lo} : Piece{1, 0};
    default:
      fail(ErrorKind::Internal, "sound lines: not a piecewise-linear function");
  }
}

// A lower (Lower) or upper bound of f(p) - k p = (a - k) p + b: a - k rounded to the side p's sign asks for, then the
// product and the sum rounded outward. Exact, so no step, where the line is exactly sound at p in the usual cases:
// a == k (a line along a piece), b == 0 (through the origin), products of floats (exact in double).
template <bool Lower>
double pl_residual(const ScalarFn& f, double p, double k) {
  const Piece q = piece(f, p);
  if (Lower) return add_dn(mul_dn(p >= 0 ? sub_dn(q.a, k) : sub_up(q.a, k), p), q.b);
  return add_up(mul_up(p >= 0 ? sub_up(q.a, k) : sub_dn(q.a, k), p), q.b);
}

// A lower (upper) bound of min (max) over [l, u] of f(x) - k x for the piecewise-linear f: that difference is
// piecewise linear, so its extremes are at the ends or at the kinks inside (l, u).
template <bool Lower>
double pl_bound(const ScalarFn& f, double l, double u, double k) {
  double r = Lower ? kInf : -kInf;
  auto visit = [&](double p) {
    const double v = pl_residual<Lower>(f, p, k);
    r = Lower ? lower_of(r, v) : upper_of(r, v);
  };
  visit(l);
  visit(u);
  if (f.kind == SoundFn::Clip) {
    if (l < f.lo && f.lo < u) visit(f.lo);
    if (l < f.hi && f.hi < u) visit(f.hi);
  } else if (l < 0 && 0 < u) {
    visit(0);
  }
  return r;
}

// An enclosure of f(x) for any x, infinities included (the limits there): for the constant lines over an infinite
// interval.
Iv value(const ScalarFn& f, double x) {
  switch (f.kind) {
    case SoundFn::Relu: {
      const double y = x > 0 ? x : 0.0;
      return {y, y};
    }
    case SoundFn::LeakyRelu:
      if (x >= 0) return {x, x};
      if (f.alpha == 0) return {0, 0};  // not alpha * -inf = NaN
      return {mul_dn(f.alpha, x), mul_up(f.alpha, x)};
    case SoundFn::Clip: {
      const double y = std::min(std::max(x, f.lo), f.hi);
      return {y, y};
    }
    default:
      return s_value(f.kind, x);
  }
}

bool s_shaped(const ScalarFn& f) { return f.kind == SoundFn::Sigmoid || f.kind == SoundFn::Tanh; }

template <typename T>
bool any_nan(const ScalarFn& f, T l, T u, T slope, T icpt) {
  return std::isnan(l) || std::isnan(u) || std::isnan(slope) || std::isnan(icpt) ||
         (f.kind == SoundFn::LeakyRelu && std::isnan(f.alpha)) ||
         (f.kind == SoundFn::Clip && (std::isnan(f.lo) || std::isnan(f.hi)));
}

// x rounded down / up to T (exact for double). A cast to float rounds to nearest, so a cast that went the wrong way
// steps back one float; values beyond the float range go to the largest float or to infinity, on the safe side.
template <typename T>
T round_down_to(double x) {
  if constexpr (std::is_same_v<T, double>) {
    return x;
  } else {
    constexpr T kMax = std::numeric_limits<T>::max(), kTInf = std::numeric_limits<T>::infinity();
    if (std::isnan(x)) return std::numeric_limits<T>::quiet_NaN();
    if (x > kMax) return std::isinf(x) ? kTInf : kMax;
    if (x < -kMax) return -kTInf;
    const T t = static_cast<T>(x);
    return static_cast<double>(t) > x ? next_down<T>(t) : t;
  }
}
template <typename T>
T round_up_to(double x) {
  if constexpr (std::is_same_v<T, double>) {
    return x;
  } else {
    constexpr T kMax = std::numeric_limits<T>::max(), kTInf = std::numeric_limits<T>::infinity();
    if (std::isnan(x)) return std::numeric_limits<T>::quiet_NaN();
    if (x < -kMax) return std::isinf(x) ? -kTInf : -kMax;
    if (x > kMax) return kTInf;
    const T t = static_cast<T>(x);
    return static_cast<double>(t) < x ? next_up<T>(t) : t;
  }
}

}  // namespace

template <typename T>
T sound_lower_intercept(const ScalarFn& f, T l, T u, T slope, T icpt) {
  if (any_nan(f, l, u, slope, icpt)) return std::numeric_limits<T>::quiet_NaN();
  if (l > u) return icpt;
  double m;  // a lower bound of the infimum over [l, u] of f(x) - slope x: the largest sound intercept
  if (!std::isfinite(l) || !std::isfinite(u)) {
    if (slope != 0) return -std::numeric_limits<T>::infinity();
    m = value(f, l).lo;  // f is non-decreasing: its infimum is f(l) (the limit, for l = -inf)
  } else if ((f.kind == SoundFn::Relu || f.kind == SoundFn::LeakyRelu) && icpt == 0 && slope <= 1 &&
             slope >= (f.kind == SoundFn::Relu ? 0.0 : f.alpha)) {
    return icpt;  // alpha-CROWN's lines through the origin, slope in [alpha, 1]: below f everywhere (the common case)
  } else {
    m = s_shaped(f) ? s_floor(f.kind, l, u, slope) : pl_bound<true>(f, l, u, slope);
  }
  if (std::isnan(m)) m = -kInf;
  return icpt <= m ? icpt : round_down_to<T>(m);
}

template <typename T>
T sound_upper_intercept(const ScalarFn& f, T l, T u, T slope, T icpt) {
  if (any_nan(f, l, u, slope, icpt)) return std::numeric_limits<T>::quiet_NaN();
  if (l > u) return icpt;
  double n;  // an upper bound of the supremum over [l, u] of f(x) - slope x: the smallest sound intercept
  if (!std::isfinite(l) || !std::isfinite(u)) {
    if (slope != 0) return std::numeric_limits<T>::infinity();
    n = value(f, u).hi;
  } else if (s_shaped(f)) {
    // The mirror image x = -y: sigmoid(-y) = 1 - sigmoid(y) and tanh(-y) = -tanh(y) turn the supremum of
    // f(x) - slope x over [l, u] into c - (the infimum of f(y) - slope y over [-u, -l]), c = 1 or 0: a lower line's
    // bound, the same slope. Negation is exact; 1 - m rounds up.
    const double m = s_floor(f.kind, -static_cast<double>(u), -static_cast<double>(l), slope);
    n = f.kind == SoundFn::Sigmoid ? sub_up(1, m) : -m;
  } else {
    n = pl_bound<false>(f, l, u, slope);
  }
  if (std::isnan(n)) n = kInf;
  return icpt >= n ? icpt : round_up_to<T>(n);
}

template float sound_lower_intercept(const ScalarFn&, float, float, float, float);
template double sound_lower_intercept(const ScalarFn&, double, double, double, double);
template float sound_upper_intercept(const ScalarFn&, float, float, float, float);
template double sound_upper_intercept(const ScalarFn&, double, double, double, double);

}  // namespace bf
