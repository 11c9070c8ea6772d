// sound_lines: relaxation lines made sound in exact real arithmetic. Every repaired line is checked against the
// function in quad precision (__float128: expq, tanhq) at the ends, the kinks, the tangent points and 200 random
// points of its interval; lines that were exactly sound must come back bit for bit, and CROWN's chords and tangents
// may move only by rounding-sized amounts. Also checks the libm assumption the error analysis rests on.
#include "bound/linear/sound_lines.h"

#include <gtest/gtest.h>
#include <quadmath.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace bf {
namespace {

using Q = __float128;  // 113-bit significand: a product of two doubles is exact in it

constexpr double kInf = std::numeric_limits<double>::infinity();

Q sig_q(Q x) {
  if (x >= 0) return 1 / (1 + expq(-x));
  const Q e = expq(x);
  return e / (1 + e);
}

// The exact real function, to quad precision.
Q f_q(const ScalarFn& f, Q x) {
  switch (f.kind) {
    case SoundFn::Relu:
      return x > 0 ? x : Q(0);
    case SoundFn::LeakyRelu:
      return x >= 0 ? x : Q(f.alpha) * x;
    case SoundFn::Clip: {
      const Q y = x > Q(f.lo) ? x : Q(f.lo);
      return y < Q(f.hi) ? y : Q(f.hi);
    }
    case SoundFn::Sigmoid:
      return sig_q(x);
    default:
      return tanhq(x);
  }
}

Q df_q(SoundFn kind, Q x) { return kind == SoundFn::Sigmoid ? sig_q(x) * sig_q(-x) : 4 * sig_q(2 * x) * sig_q(-2 * x); }

// The point x <= 0 with f'(x) = k (sigmoid, tanh), or NaN.
Q stationary_q(SoundFn kind, Q k) {
  if (kind == SoundFn::Sigmoid) {
    if (!(k > 0 && k < Q(0.25))) return nanq("");
    const Q s = 2 * k / (1 + sqrtq(1 - 4 * k));
    return logq(s / (1 - s));
  }
  if (!(k > 0 && k < 1)) return nanq("");
  return logq(sqrtq(k) / (1 + sqrtq(1 - k)));
}

// The lines a verifier builds, naively in T.
template <typename T>
T f_t(const ScalarFn& f, T x) {
  switch (f.kind) {
    case SoundFn::Relu:
      return std::max(x, T(0));
    case SoundFn::LeakyRelu:
      return x >= 0 ? x : static_cast<T>(f.alpha) * x;
    case SoundFn::Clip:
      return std::min(std::max(x, static_cast<T>(f.lo)), static_cast<T>(f.hi));
    case SoundFn::Sigmoid:
      return T(1) / (T(1) + std::exp(-x));
    default:
      return std::tanh(x);
  }
}

// f'(x) in T. accurate: sigmoid(x) sigmoid(-x) and 4 sigmoid(2x) sigmoid(-2x), good to a few ulps everywhere; else
// y (1 - y) and 1 - y^2 as s_shaped.cpp has them, which cancel where f saturates (relative error up to ~1e-4 in f32).
template <typename T>
T df_t(const ScalarFn& f, T x, bool accurate = true) {
  const ScalarFn sig{SoundFn::Sigmoid};
  switch (f.kind) {
    case SoundFn::Relu:
      return x > 0 ? T(1) : T(0);
    case SoundFn::LeakyRelu:
      return x >= 0 ? T(1) : static_cast<T>(f.alpha);
    case SoundFn::Clip:
      return x > f.lo && x < f.hi ? T(1) : T(0);
    case SoundFn::Sigmoid: {
      const T s = f_t(f, x);
      return accurate ? s * f_t(f, T(-x)) : s * (T(1) - s);
    }
    default: {
      const T t = std::tanh(x);
      return accurate ? T(4) * f_t(sig, T(2 * x)) * f_t(sig, T(-2 * x)) : T(1) - t * t;
    }
  }
}

bool s_shaped(const ScalarFn& f) { return f.kind == SoundFn::Sigmoid || f.kind == SoundFn::Tanh; }

// Where chords are upper lines and tangents lower ones (convex), and the other way round (concave).
bool convex_on(const ScalarFn& f, double l, double u) {
  if (s_shaped(f)) return u <= 0;
  if (f.kind == SoundFn::Clip) return f.lo >= f.hi || u <= f.hi || l >= f.hi;
  return true;  // Relu, LeakyRelu with alpha <= 1
}
bool concave_on(const ScalarFn& f, double l, double u) {
  if (s_shaped(f)) return l >= 0;
  if (f.kind == SoundFn::Clip) return f.lo >= f.hi || l >= f.lo || u <= f.lo;
  return u <= 0 || l >= 0 || f.alpha == 1;
}

std::vector<double> kinks(const ScalarFn& f) {
  if (f.kind != SoundFn::Clip) return {0.0};
  std::vector<double> k;
  for (double v : {f.lo, f.hi}) {
    if (std::isfinite(v)) k.push_back(v);
  }
  if (k.empty()) k.push_back(0.0);
  return k;
}

// The tangent point d <= 0 of the lower line through (u, f(u)) for l < 0 < u (auto_LiRPA's d), by bisection: the
// tangent at any point <= d lies below f on (-inf, u].
Q lower_tangent_point(SoundFn kind, Q u) {
  const ScalarFn f{kind};
  Q lo = -1000, hi = 0;
  for (int i = 0; i < 120; ++i) {
    const Q m = (lo + hi) / 2;
    if (f_q(f, m) + df_q(kind, m) * (u - m) <= f_q(f, u)) {
      lo = m;
    } else {
      hi = m;
    }
  }
  return lo;
}

template <typename T>
T round_q(Q x, bool upward) {
  T t = static_cast<T>(static_cast<double>(x));
  while (upward ? Q(t) < x : Q(t) > x) t = std::nextafter(t, upward ? T(kInf) : T(-kInf));
  return t;
}

template <typename T>
auto bits(T x) {
  if constexpr (sizeof(T) == 4) {
    return std::bit_cast<std::uint32_t>(x);
  } else {
    return std::bit_cast<std::uint64_t>(x);
  }
}

// The worst of a ratio over the lines, with what gave it.
struct Worst {
  double ratio = 0;
  std::string what;
  void add(double r, const std::string& w) {
    if (r > ratio) ratio = r, what = w;
  }
};

struct Stats {
  Worst change;  // CROWN lines: the intercept's change over the line's scale
  Worst excess;  // all lines: how far below (above) the best sound intercept the result is, over the scale
  Worst naive;   // tangents with s_shaped.cpp's derivative: the change they need
  long lines = 0, changed = 0, exact = 0, failures = 0;
};

std::string hex(double x) {
  char b[64];
  std::snprintf(b, sizeof b, "%a", x);
  return b;
}

// One interval of one function: its check points with f there, and the lines to repair and check.
template <typename T>
struct Interval {
  const ScalarFn& f;
  T l, u;
  Stats& st;
  std::mt19937_64& rng;
  std::vector<double> xs;
  std::vector<Q> fs;

  Interval(const ScalarFn& f_, T l_, T u_, Stats& st_, std::mt19937_64& rng_)
      : f(f_), l(l_), u(u_), st(st_), rng(rng_) {
    std::uniform_real_distribution<double> unit(0, 1), expo(-6, 2);
    add(l);
    add(u);
    add(0);
    for (double k : kinks(f)) add(k);
    for (int i = 0; i < 200; ++i) add(std::clamp(l + (double(u) - double(l)) * unit(rng), double(l), double(u)));
    for (int i = 0; i < 20; ++i) {  // near the kinks and 0, where wide intervals are rarely sampled
      const std::vector<double> ks = kinks(f);
      add(ks[rng() % ks.size()] + (rng() % 2 ? 1 : -1) * std::pow(10.0, expo(rng)));
    }
  }
  void add(double x) {
    if (x >= l && x <= u) {
      xs.push_back(x);
      fs.push_back(f_q(f, x));
    }
  }

  // The best sound intercept, min (lower) or max (upper) over [l, u] of f(x) - slope x, to quad precision: f - slope x
  // has its extremes at the ends, the kinks and the points where f' = slope.
  Q best(bool lower, T slope) const {
    std::vector<Q> cand{Q(l), Q(u)};
    for (double k : kinks(f)) cand.push_back(k);
    if (s_shaped(f)) {
      const Q p = stationary_q(f.kind, Q(slope));
      if (!isnanq(p)) cand.insert(cand.end(), {p, -p});
    }
    Q r = lower ? Q(kInf) : Q(-kInf);
    for (const Q x : cand) {
      if (x < Q(l) || x > Q(u)) continue;
      const Q v = f_q(f, x) - Q(slope) * x;
      r = lower ? (v < r ? v : r) : (v > r ? v : r);
    }
    return r;
  }

  bool holds(bool lower, T slope, T t, double x, Q fx) const {
    const Q y = Q(slope) * Q(x) + Q(t);
    return lower ? y <= fx : y >= fx;
  }

  double fail(const std::string& what, bool lower, T slope, T icpt, T t, double x) {
    if (++st.failures <= 12) {
      ADD_FAILURE() << what << (lower ? " lower" : " upper") << " f=" << int(f.kind) << " alpha=" << f.alpha
                    << " lo=" << f.lo << " hi=" << f.hi << " T=" << (sizeof(T) == 4 ? "f32" : "f64") << " l=" << hex(l)
                    << " u=" << hex(u) << " slope=" << hex(slope) << " icpt=" << hex(icpt) << " t=" << hex(t)
                    << " x=" << hex(x);
    }
    return 0;
  }

  // Repairs the line and checks it: sound at the check points and below (above) the best intercept; no lower
  // (higher) than a rounding-sized step past the best intercept. crown: built to be sound in exact arithmetic, so
  // its change must be rounding-sized too; exact: sound as it is, so it must come back bit for bit; touch: where it
  // meets f (checked too). Gives the change over the scale.
  double check(const char* what, bool lower, T slope, T icpt, bool crown, bool exact, double touch = NAN) {
    const T t = lower ? sound_lower_intercept(f, l, u, slope, icpt) : sound_upper_intercept(f, l, u, slope, icpt);
    const std::string name = std::string(what) + (lower ? " lower" : " upper") + " on [" + hex(l) + ", " + hex(u) +
                             "] slope " + hex(slope) + " icpt " + hex(icpt);
    ++st.lines;
    if (std::isnan(t) || (lower ? !(t <= icpt) : !(t >= icpt)))
      return fail(std::string(what) + ": moved inward", lower, slope, icpt, t, 0);
    if (bits(t) != bits(icpt)) ++st.changed;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (!holds(lower, slope, t, xs[i], fs[i]))
        return fail(std::string(what) + ": unsound", lower, slope, icpt, t, xs[i]);
    }
    std::vector<double> extra{touch};
    if (s_shaped(f)) {
      const Q p = stationary_q(f.kind, Q(slope));  // where f - slope x is least (convex side) or largest
      if (!isnanq(p)) extra.insert(extra.end(), {double(p), -double(p)});
    }
    for (double x : extra) {
      if (std::isnan(x)) continue;
      for (double y : {std::nextafter(x, -kInf), x, std::nextafter(x, kInf)}) {
        if (y >= l && y <= u && !holds(lower, slope, t, y, f_q(f, y)))
          return fail(std::string(what) + ": unsound", lower, slope, icpt, t, y);
      }
    }
    const Q opt = best(lower, slope);
    if (lower ? Q(t) > opt : Q(t) < opt)
      return fail(std::string(what) + ": beyond the best intercept", lower, slope, icpt, t, 0);
    const double tol = sizeof(T) == 4 ? 1e-6 : 1e-13;
    const double scale =
        1 + std::fabs(double(icpt)) + std::fabs(double(slope)) * std::max(std::fabs(double(l)), std::fabs(double(u)));
    const Q target = lower ? (Q(icpt) < opt ? Q(icpt) : opt) : (Q(icpt) > opt ? Q(icpt) : opt);
    // (Over the result's scale: a float result's own rounding is an ulp of t, which may be far from icpt.)
    const double excess = double(fabsq(target - Q(t))) / (scale + std::fabs(double(t)));
    st.excess.add(excess, name);
    if (excess > tol) return fail(std::string(what) + ": loose (past the best intercept)", lower, slope, icpt, t, 0);
    if (exact) {
      ++st.exact;
      if (bits(t) != bits(icpt))
        return fail(std::string(what) + ": an exactly sound line changed", lower, slope, icpt, t, 0);
    }
    const double change = std::fabs(double(t) - double(icpt)) / scale;
    if (crown) {
      st.change.add(change, name);
      if (change > tol) return fail(std::string(what) + ": loose", lower, slope, icpt, t, 0);
    }
    return change;
  }

  // A line and the same line nudged by a few ulps the wrong way, both sides; `lower_ok` / `upper_ok`: CROWN-valid.
  void check_both(const char* what, T slope, T icpt, bool lower_ok, bool upper_ok, double touch = NAN) {
    check(what, true, slope, icpt, lower_ok, false, touch);
    check(what, false, slope, icpt, upper_ok, false, touch);
    const int n = 1 + int(rng() % 4);
    T up = icpt, dn = icpt;
    for (int i = 0; i < n; ++i) {
      up = std::nextafter(up, T(kInf));
      dn = std::nextafter(dn, T(-kInf));
    }
    check("nudged", true, slope, up, false, false, touch);
    check("nudged", false, slope, dn, false, false, touch);
  }

  void tangent(const char* what, T p, bool lower_ok, bool upper_ok) {
    const T k = df_t(f, p);
    check_both(what, k, f_t(f, p) - p * k, lower_ok, upper_ok, p);
    if (s_shaped(f)) {  // with s_shaped.cpp's derivative: sound, but the change may be large where f saturates
      const T kn = df_t(f, p, false), c = f_t(f, p) - p * kn;
      if (lower_ok) st.naive.add(check("tangent-naive", true, kn, c, false, false, p), what);
      if (upper_ok) st.naive.add(check("tangent-naive", false, kn, c, false, false, p), what);
    }
  }

  void run() {
    const bool point = l == u;
    std::uniform_real_distribution<double> unit(0, 1);
    // Chords (CROWN's line on the side where f bends away from it).
    T k = point ? df_t(f, l) : (f_t(f, u) - f_t(f, l)) / (u - l);
    bool lower_ok = point || concave_on(f, l, u), upper_ok = point || convex_on(f, l, u);
    if (s_shaped(f) && l < 0 && u > 0) {  // the chord is a bound where it is flatter than f at that side's end
      const Q kq = (f_q(f, u) - f_q(f, l)) / (Q(u) - Q(l));
      lower_ok = kq <= df_q(f.kind, l);
      upper_ok = kq <= df_q(f.kind, u);
    }
    check_both("chord", k, f_t(f, l) - l * k, lower_ok, upper_ok);
    // Tangents at the midpoint and at a random point (lower where f is convex, upper where concave).
    const std::vector<double> ks = kinks(f);
    for (T p : {T(l + (u - l) / 2), T(l + T(unit(rng)) * (u - l))}) {
      p = std::clamp(p, l, u);
      const bool at_kink = !s_shaped(f) && std::find(ks.begin(), ks.end(), double(p)) != ks.end();
      tangent("tangent", p, !at_kink && (point || convex_on(f, l, u)), !at_kink && (point || concave_on(f, l, u)));
    }
    // CROWN's tangents through the far end for l < 0 < u, at auto_LiRPA's point d and at a point before it (alpha).
    if (s_shaped(f) && l < 0 && u > 0) {
      const T d_lo = round_q<T>(lower_tangent_point(f.kind, u), false);
      const T d_up = round_q<T>(-lower_tangent_point(f.kind, -Q(l)), true);
      tangent("tangent-d", d_lo, true, false);
      tangent("tangent-d", d_up, false, true);
      tangent("tangent-alpha", T(d_lo - T(3 * unit(rng))), true, false);
      tangent("tangent-alpha", T(d_up + T(3 * unit(rng))), false, true);
    }
    // ReLU's adaptive lower lines through the origin: exactly sound for slopes in [alpha, 1].
    if (f.kind == SoundFn::Relu || f.kind == SoundFn::LeakyRelu) {
      const double alpha = f.kind == SoundFn::Relu ? 0.0 : f.alpha;
      for (T s : {T(alpha), T(1), T(alpha + (1 - alpha) * unit(rng))}) {
        check("adaptive", true, s, T(0), true, s >= alpha && s <= 1);
      }
    }
    // Constant lines f(l) below and f(u) above: exact for the piecewise-linear f where f(l), f(u) are exact in T.
    const T fl = f_t(f, l), fu = f_t(f, u);
    check("constant", true, T(0), fl, true, !s_shaped(f) && Q(fl) == f_q(f, l));
    check("constant", false, T(0), fu, true, !s_shaped(f) && Q(fu) == f_q(f, u));
    // The best intercept itself, rounded to nearest in T: sound or unsound by less than an ulp, the closest call.
    for (const T s : {df_t(f, T(l + T(unit(rng)) * (u - l))), T(2 * unit(rng) - 0.5)}) {
      for (const bool lower : {true, false}) {
        const Q b = best(lower, s);
        if (!isinfq(b)) check("best", lower, s, static_cast<T>(static_cast<double>(b)), true, false);
      }
    }
    // Arbitrary lines: soundness only.
    for (int i = 0; i < 2; ++i) {
      const double x = l + (double(u) - double(l)) * unit(rng);
      const T s = i == 0 ? T(3 * unit(rng) - 1.5) : df_t(f, T(x));
      const T c = T(double(f_t(f, T(x))) - s * x + (unit(rng) - 0.5) * std::pow(10.0, -8 * unit(rng)));
      check("arbitrary", true, s, c, false, false);
      check("arbitrary", false, s, c, false, false);
    }
  }
};

template <typename T>
std::pair<T, T> random_interval(const ScalarFn& f, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> centre(-50, 50), unit(0, 1), expo(-7, 4);
  const std::vector<double> ks = kinks(f);
  const double kink = ks[rng() % ks.size()];
  const double w = rng() % 12 == 0 ? 0.0 : std::pow(10.0, expo(rng)), w2 = std::pow(10.0, expo(rng));
  double l = 0, u = 0;
  switch (rng() % 8) {
    case 0:
    case 1:
      l = centre(rng) - w / 2;
      u = l + w;
      break;
    case 2:  // a point
      l = u = rng() % 2 ? centre(rng) : kink;
      break;
    case 3:  // starting at a kink
      l = kink;
      u = kink + w;
      break;
    case 4:  // ending at one
      l = kink - w;
      u = kink;
      break;
    case 5:  // around one
      l = kink - w;
      u = kink + w2;
      break;
    case 6:  // around both of Clip's kinks, else inside one piece
      if (f.kind == SoundFn::Clip && ks.size() == 2) {
        l = std::min(f.lo, f.hi) - w;
        u = std::max(f.lo, f.hi) + w2;
      } else {
        l = kink + (rng() % 2 ? 1 : -1) * std::pow(10.0, expo(rng));
        u = l + w * (double(l) > kink ? 1 : -1);
      }
      break;
    default:
      l = centre(rng);
      u = l + w * unit(rng);
      break;
  }
  T a = static_cast<T>(l), b = static_cast<T>(u);
  if (a > b) std::swap(a, b);
  return {a, b};
}

std::vector<std::pair<std::string, ScalarFn>> functions() {
  auto leaky = [](double a) { return ScalarFn{SoundFn::LeakyRelu, a}; };
  auto clip = [](double lo, double hi) { return ScalarFn{SoundFn::Clip, 0.0, lo, hi}; };
  return {{"relu", {SoundFn::Relu}},
          {"leaky(0.01f)", leaky(double(0.01f))},
          {"leaky(0.2f)", leaky(double(0.2f))},
          {"leaky(0)", leaky(0)},
          {"leaky(1)", leaky(1)},
          {"leaky(0.1234567890123)", leaky(0.1234567890123)},  // not a float: products inexact in double
          {"clip(-1,1)", clip(-1, 1)},
          {"clip(0,6)", clip(0, 6)},
          {"clip(0.3f,0.3f)", clip(double(0.3f), double(0.3f))},
          {"clip(-inf,2)", clip(-kInf, 2)},
          {"clip(-3,inf)", clip(-3, kInf)},
          {"clip(1,-1)", clip(1, -1)},
          {"sigmoid", {SoundFn::Sigmoid}},
          {"tanh", {SoundFn::Tanh}}};
}

template <typename T>
void random_lines(int intervals) {
  std::mt19937_64 rng(sizeof(T) * 1000 + 17);
  for (const auto& [name, f] : functions()) {
    Stats st;
    for (int i = 0; i < intervals; ++i) {
      const auto [l, u] = random_interval<T>(f, rng);
      Interval<T>(f, l, u, st, rng).run();
    }
    std::printf("%s %-23s %6ld lines (%5ld changed, %5ld exact kept): worst CROWN change %.2e, worst excess %.2e",
                sizeof(T) == 4 ? "f32" : "f64", name.c_str(), st.lines, st.changed, st.exact, st.change.ratio,
                st.excess.ratio);
    if (s_shaped(f)) std::printf(", s_shaped.cpp tangents need %.2e", st.naive.ratio);
    std::printf(" (x scale)\n");
    if (std::getenv("SOUND_LINES_VERBOSE")) {
      std::printf("    worst change: %s\n    worst excess: %s\n    worst naive: %s\n", st.change.what.c_str(),
                  st.excess.what.c_str(), st.naive.what.c_str());
    }
    EXPECT_EQ(st.failures, 0) << name;
  }
}

TEST(SoundLines, RandomLinesF32) { random_lines<float>(1000); }
TEST(SoundLines, RandomLinesF64) { random_lines<double>(1000); }

template <typename T>
void edge_cases() {
  constexpr T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const ScalarFn relu{SoundFn::Relu}, sig{SoundFn::Sigmoid}, tanh_f{SoundFn::Tanh};
  for (const auto& [name, f] : functions()) {
    SCOPED_TRACE(name);
    for (int side = 0; side < 2; ++side) {
      auto repair = [&](const ScalarFn& g, T l, T u, T s, T c) {
        return side == 0 ? sound_lower_intercept(g, l, u, s, c) : sound_upper_intercept(g, l, u, s, c);
      };
      // NaN anywhere: NaN.
      EXPECT_TRUE(std::isnan(repair(f, nan, 1, 0, 0)));
      EXPECT_TRUE(std::isnan(repair(f, -1, nan, 0, 0)));
      EXPECT_TRUE(std::isnan(repair(f, -1, 1, nan, 0)));
      EXPECT_TRUE(std::isnan(repair(f, -1, 1, 0.5, nan)));
      EXPECT_TRUE(std::isnan(repair(f, -inf, inf, 0, nan)));
      // Empty: unchanged.
      EXPECT_EQ(bits(repair(f, 2, 1, T(0.5), T(0.25))), bits(T(0.25)));
      EXPECT_EQ(bits(repair(f, inf, -inf, T(3), T(-7))), bits(T(-7)));
      // Infinite bounds with a slope: the trivial intercept.
      EXPECT_EQ(repair(f, -inf, 1, T(0.5), 0), side == 0 ? -inf : inf);
      EXPECT_EQ(repair(f, -1, inf, T(-0.5), 0), side == 0 ? -inf : inf);
    }
    // Constant lines over infinite intervals: f(l) (its limit) below, f(u) above.
    const T big = T(1e6);
    const T lower = sound_lower_intercept(f, -inf, T(3), T(0), big);
    const T upper = sound_upper_intercept(f, T(-3), inf, T(0), -big);
    const Q fl = f.kind == SoundFn::LeakyRelu ? (f.alpha > 0 ? Q(-kInf) : Q(0)) : f_q(f, Q(-kInf));
    EXPECT_TRUE(Q(lower) <= fl && (isinfq(fl) ? lower == -inf : Q(lower) >= fl - Q(1e-6))) << double(lower);
    const Q fu = f_q(f, Q(kInf));
    EXPECT_TRUE(Q(upper) >= fu && (isinfq(fu) ? upper == inf : Q(upper) <= fu + Q(1e-6))) << double(upper);
    // Already below (above): unchanged, unless f goes to -inf (+inf) there.
    EXPECT_EQ(sound_lower_intercept(f, -inf, T(3), T(0), T(-big)), isinfq(fl) ? -inf : T(-big));
    EXPECT_EQ(sound_upper_intercept(f, T(-3), inf, T(0), big), isinfq(fu) ? inf : big);
    // A finite end with the other one infinite: f(l) below, f(u) above, rigorously.
    const T ls = sound_lower_intercept(f, T(-1.5), inf, T(0), big);
    const T us = sound_upper_intercept(f, -inf, T(0.75), T(0), -big);
    EXPECT_TRUE(Q(ls) <= f_q(f, Q(T(-1.5))) && Q(ls) >= f_q(f, Q(T(-1.5))) - Q(1e-6)) << double(ls);
    EXPECT_TRUE(Q(us) >= f_q(f, Q(T(0.75))) && Q(us) <= f_q(f, Q(T(0.75))) + Q(1e-6)) << double(us);
  }
  // The limits named in the interface.
  EXPECT_EQ(sound_lower_intercept(relu, -inf, T(1), T(0), T(5)), T(0));
  EXPECT_EQ(sound_lower_intercept(ScalarFn{SoundFn::LeakyRelu, 0.1}, -inf, T(1), T(0), T(5)), -inf);
  EXPECT_EQ(sound_lower_intercept(ScalarFn{SoundFn::LeakyRelu, 0.0}, -inf, T(1), T(0), T(5)), T(0));
  EXPECT_EQ(sound_lower_intercept(ScalarFn{SoundFn::Clip, 0, -1, 1}, -inf, T(1), T(0), T(5)), T(-1));
  EXPECT_EQ(sound_lower_intercept(sig, -inf, T(1), T(0), T(5)), T(0));
  EXPECT_EQ(sound_lower_intercept(tanh_f, -inf, T(1), T(0), T(5)), T(-1));
  EXPECT_EQ(sound_upper_intercept(sig, T(-1), inf, T(0), T(-5)), T(1));
  EXPECT_EQ(sound_upper_intercept(tanh_f, T(-1), inf, T(0), T(-5)), T(1));
  EXPECT_EQ(sound_upper_intercept(ScalarFn{SoundFn::Clip, 0, -1, 2}, T(-1), inf, T(0), T(-5)), T(2));
  // Huge finite intervals (the width overflows in T): sound at a few points, never NaN.
  const T m = std::numeric_limits<T>::max() / 2;
  for (const auto& [name, f] : functions()) {
    for (const T s : {T(0), T(1e-30), T(0.2), T(1), T(-2)}) {
      const T lo = sound_lower_intercept(f, -m, m, s, T(0)), hi = sound_upper_intercept(f, -m, m, s, T(0));
      ASSERT_FALSE(std::isnan(lo) || std::isnan(hi)) << name;
      for (const double x : {-double(m), -1.0, 0.0, 2.0, double(m) / 3, double(m)}) {
        EXPECT_TRUE(Q(s) * Q(x) + Q(lo) <= f_q(f, x)) << name << " " << s << " " << x;
        EXPECT_TRUE(Q(s) * Q(x) + Q(hi) >= f_q(f, x)) << name << " " << s << " " << x;
      }
    }
  }
}

TEST(SoundLines, EdgeCasesF32) { edge_cases<float>(); }
TEST(SoundLines, EdgeCasesF64) { edge_cases<double>(); }

// Relu's exactly sound lines come back bit for bit, as the interface promises.
TEST(SoundLines, ExactLinesUnchanged) {
  const ScalarFn relu{SoundFn::Relu};
  EXPECT_EQ(bits(sound_lower_intercept(relu, -3.0f, 5.0f, 1.0f, 0.0f)), bits(0.0f));
  EXPECT_EQ(bits(sound_lower_intercept(relu, -3.0f, 5.0f, 0.0f, 0.0f)), bits(0.0f));
  EXPECT_EQ(bits(sound_lower_intercept(relu, -3.0, 5.0, 0.3, 0.0)), bits(0.0));
  EXPECT_EQ(bits(sound_lower_intercept(relu, -3.0, 5.0, 0.0, -0.0)), bits(-0.0));
  EXPECT_EQ(bits(sound_upper_intercept(relu, -3.0, 5.0, 0.0, 5.0)), bits(5.0));
  // The chord through (l, 0), (u, u) with slope 5/8 and intercept 15/8 is exact in binary: unchanged.
  EXPECT_EQ(bits(sound_upper_intercept(relu, -3.0, 5.0, 0.625, 1.875)), bits(1.875));
  // One ulp below it is not sound at l: raised back by exactly that ulp.
  EXPECT_EQ(sound_upper_intercept(relu, -3.0, 5.0, 0.625, std::nextafter(1.875, 0.0)), 1.875);
  // Sigmoid at 0 is 1/2 exactly: the tangent there, y = x/4 + 1/2, is a sound upper line on [0, 9].
  EXPECT_EQ(sound_upper_intercept(ScalarFn{SoundFn::Sigmoid}, 0.0, 9.0, 0.25, 0.5), 0.5);
}

// The assumption the error analysis rests on: libm's exp and tanh in double are within 4 ulp (of the true value),
// |y - F(x)| <= 2^-50 |F(x)| + 2^-1022 everywhere (so also for subnormal results).
TEST(SoundLines, LibmWithinFourUlp) {
  std::mt19937_64 rng(99);
  auto ulps = [](double y, Q t) {
    int e;
    frexpq(t, &e);  // |t| in [2^(e-1), 2^e): a double there has ulp 2^(e-53) (2^-1074 below the normal range)
    return double(fabsq(Q(y) - t) / ldexpq(1, std::max(e, -1021) - 53));
  };
  double worst_exp = 0, worst_tanh = 0, worst_exp_x = 0, worst_tanh_x = 0;
  long bound_violations = 0;
  auto test = [&](double x) {
    const Q e = expq(x), t = tanhq(x);
    const double ye = std::exp(x), yt = std::tanh(x);
    const double ue = ulps(ye, e), ut = ulps(yt, t);
    if (ue > worst_exp) worst_exp = ue, worst_exp_x = x;
    if (ut > worst_tanh) worst_tanh = ut, worst_tanh_x = x;
    if (fabsq(Q(ye) - e) > ldexpq(fabsq(e), -50) + ldexpq(1, -1022)) ++bound_violations;
    if (fabsq(Q(yt) - t) > ldexpq(fabsq(t), -50) + ldexpq(1, -1022)) ++bound_violations;
  };
  std::uniform_real_distribution<double> wide(-700, 700), under(-750, -700), tiny(-300, 0);
  for (int i = 0; i < 1000000; ++i) test(wide(rng));
  for (int i = 0; i <= 1000000; ++i) test(-20 + 40.0 * i / 1000000);
  // Subnormal and underflowed exp, and tanh near 0.
  for (int i = 0; i < 100000; ++i) test(under(rng));
  for (int i = 0; i < 100000; ++i) test((i % 2 ? 1 : -1) * std::pow(10.0, tiny(rng)));
  std::printf("libm: worst exp error %.3f ulp (x = %.17g), worst tanh error %.3f ulp (x = %.17g)\n", worst_exp,
              worst_exp_x, worst_tanh, worst_tanh_x);
  EXPECT_LE(worst_exp, 4.0);
  EXPECT_LE(worst_tanh, 4.0);
  EXPECT_EQ(bound_violations, 0);
}

}  // namespace
}  // namespace bf
