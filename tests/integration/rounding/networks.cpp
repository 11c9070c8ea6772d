#include "networks.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace bf::test {
namespace {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  double unit() { return static_cast<double>(g_() >> 11) * 0x1p-53; }
  float uniform(double a, double b) { return static_cast<float>(a + (b - a) * unit()); }
  std::size_t index(std::size_t k) { return static_cast<std::size_t>(g_() % k); }

 private:
  std::mt19937_64 g_;
};

// Half the side of the input box: MNIST-like for 784 inputs, wider for few.
double half_width(std::int64_t n) { return n <= 5 ? 0.25 : n <= 50 ? 0.05 : 0.015; }

void make_box(ExactNet& net, Rng& rng) {
  const double eps = half_width(net.n);
  for (std::int64_t i = 0; i < net.n; ++i) {
    const double c = rng.uniform(0.2, 0.8);
    net.lower.push_back(static_cast<float>(c - eps));
    net.upper.push_back(static_cast<float>(c + eps));
  }
}

DenseLayer layer(std::int64_t in, std::int64_t out, bool relu) {
  DenseLayer L;
  L.in = in;
  L.out = out;
  L.w.assign(static_cast<std::size_t>(in * out), 0.0f);
  L.b.assign(static_cast<std::size_t>(out), 0.0f);
  L.relu = relu;
  return L;
}

float& W(DenseLayer& L, std::int64_t o, std::int64_t i) { return L.w[static_cast<std::size_t>(o * L.in + i)]; }

// A pair of nearly equal dense rows (units 2p and 2p+1 of L): a, a + U[-s, s];
// biases B, B + U[-1, 1] with B in [bias_lo, bias_hi].
void dense_pair(DenseLayer& L, std::int64_t unit, Rng& rng, double w_lo, double w_hi, double s, double bias_lo,
                double bias_hi) {
  for (std::int64_t i = 0; i < L.in; ++i) {
    const float a = rng.uniform(w_lo, w_hi);
    W(L, unit, i) = a;
    W(L, unit + 1, i) = static_cast<float>(a + rng.uniform(-s, s));
  }
  const float B = rng.uniform(bias_lo, bias_hi);
  L.b[static_cast<std::size_t>(unit)] = B;
  L.b[static_cast<std::size_t>(unit + 1)] = static_cast<float>(B + rng.uniform(-1.0, 1.0));
}

// The output layer: y0 = sum_p c_p (h[2p] - h[2p+1]) over the pairs starting at
// `first_pair`, plus `extra` weights (already set); y1 small random weights.
void cancel_pairs(DenseLayer& out, std::int64_t first_pair, std::int64_t pairs, Rng& rng) {
  for (std::int64_t p = 0; p < pairs; ++p) {
    const float c = rng.uniform(0.5, 1.5);
    W(out, 0, first_pair + 2 * p) = c;
    W(out, 0, first_pair + 2 * p + 1) = -c;
  }
  for (std::int64_t o = 1; o < out.out; ++o)
    for (std::int64_t j = 0; j < out.in; ++j) W(out, o, j) = rng.uniform(-1e-3, 1e-3);
}

// Sets y0's bias so that the exact maximum lands near 0.5.
void centre_max(ExactNet& net) {
  net.layers.back().b[0] = 0.0f;
  const double m0 = analyse_y0(net).max.to_double();
  net.layers.back().b[0] = static_cast<float>(0.5 - m0);
}

void linear_net(ExactNet& net, const NetSpec& s, Rng& rng) {
  make_box(net, rng);
  const double eps = half_width(s.n);
  const std::int64_t pairs = 8;
  if (s.depth == 1) {
    // y0 = sum_p c_p ((a_p - a'_p).x + B_p - B'_p) + b: range over the box O(1).
    const double spread = 0.4 / (static_cast<double>(s.n) * eps * std::sqrt(static_cast<double>(pairs)));
    DenseLayer h = layer(s.n, 2 * pairs, true);
    for (std::int64_t p = 0; p < pairs; ++p)
      dense_pair(h, 2 * p, rng, -1.0, 1.0, spread, 1000.0 * s.bias_scale, 4000.0 * s.bias_scale);
    DenseLayer out = layer(2 * pairs, s.m, false);
    cancel_pairs(out, 0, pairs, rng);
    net.layers = {h, out};
  } else if (s.depth == 2) {
    // Layer 1: 12 large units; layer 2: pairs of nearly equal mixtures of them
    // (also in the thousands); y0 their differences.
    const std::int64_t h1 = 12;
    DenseLayer a = layer(s.n, h1, true);
    for (std::int64_t o = 0; o < h1; ++o) {
      for (std::int64_t i = 0; i < s.n; ++i) W(a, o, i) = rng.uniform(-1.0, 1.0);
      a.b[static_cast<std::size_t>(o)] = rng.uniform(1000.0 * s.bias_scale, 3000.0 * s.bias_scale);
    }
    const double spread =
        std::min(0.01, 0.5 / (static_cast<double>(s.n) * eps * std::sqrt(static_cast<double>(h1 * pairs))));
    DenseLayer b = layer(h1, 2 * pairs, true);
    for (std::int64_t p = 0; p < pairs; ++p)
      dense_pair(b, 2 * p, rng, 0.0, 2.0 / h1, spread, 1000.0 * s.bias_scale, 3000.0 * s.bias_scale);
    DenseLayer out = layer(2 * pairs, s.m, false);
    cancel_pairs(out, 0, pairs, rng);
    net.layers = {a, b, out};
  } else {
    throw std::invalid_argument("linear_net: depth 1 or 2");
  }
}

void relu_net(ExactNet& net, const NetSpec& s, Rng& rng) {
  if (s.depth != 1) throw std::invalid_argument("relu_net: depth 1");
  make_box(net, rng);
  const double eps = half_width(s.n);
  const std::int64_t convex = s.n <= 5 ? 8 : s.n <= 50 ? 24 : 48;
  const std::int64_t concave = !s.concave ? 0 : s.n <= 5 ? 3 : s.n <= 50 ? 4 : 5;
  const std::int64_t hinges = convex + concave;
  const std::int64_t dense_pairs = 4, coord_pairs = 4;
  const std::int64_t units = hinges + 2 * (dense_pairs + coord_pairs);
  DenseLayer h = layer(s.n, units, true);
  DenseLayer out = layer(units, s.m, false);
  // Hinges: c relu(a (x_i - k)), the kink k inside the box's side; convex ones
  // (c > 0) first, then concave ones (c < 0).
  std::vector<std::size_t> coords(static_cast<std::size_t>(s.n));
  for (std::size_t i = 0; i < coords.size(); ++i) coords[i] = i;
  for (std::size_t i = coords.size(); i > 1; --i) std::swap(coords[i - 1], coords[rng.index(i)]);
  for (std::int64_t j = 0; j < hinges; ++j) {
    const std::size_t i = j < s.n ? coords[static_cast<std::size_t>(j)] : rng.index(static_cast<std::size_t>(s.n));
    const double l = net.lower[i], u = net.upper[i];
    const double k = l + (u - l) * (0.1 + 0.8 * rng.unit());
    const float sign = rng.unit() < 0.5 ? -1.0f : 1.0f;
    if (j < convex) {
      const float a = rng.uniform(0.5, 2.0) * sign;
      W(h, j, static_cast<std::int64_t>(i)) = a;
      h.b[static_cast<std::size_t>(j)] = static_cast<float>(-a * k);
      W(out, 0, j) = rng.uniform(0.2, 1.0) / static_cast<float>(eps * 4.0);  // each hinge adds up to ~1
    } else {
      // Concave: slope +-2^e, e in {-1, 0, 1}, so that the kink -b/a is dyadic.
      const float a = std::ldexp(1.0f, static_cast<int>(rng.index(3)) - 1) * sign;
      W(h, j, static_cast<std::int64_t>(i)) = a;
      h.b[static_cast<std::size_t>(j)] = static_cast<float>(-a * k);
      W(out, 0, j) = -rng.uniform(0.5, 1.0) / static_cast<float>(std::fabs(a) * eps);  // bends y0 by ~1
    }
  }
  // Dense cancelling pairs, as in the linear family.
  const double spread = 0.4 / (static_cast<double>(s.n) * eps * std::sqrt(static_cast<double>(dense_pairs)));
  for (std::int64_t p = 0; p < dense_pairs; ++p)
    dense_pair(h, hinges + 2 * p, rng, -1.0, 1.0, spread, 1000.0 * s.bias_scale, 4000.0 * s.bias_scale);
  // Pairs of one coordinate: A (x_i + K) and A' x_i + A K + d.
  for (std::int64_t p = 0; p < coord_pairs; ++p) {
    const std::int64_t u0 = hinges + 2 * dense_pairs + 2 * p;
    const auto i = static_cast<std::int64_t>(rng.index(static_cast<std::size_t>(s.n)));
    const float A = rng.uniform(50.0, 200.0), K = rng.uniform(5.0, 20.0);
    W(h, u0, i) = A;
    W(h, u0 + 1, i) = static_cast<float>(A + rng.uniform(-0.5, 0.5));
    h.b[static_cast<std::size_t>(u0)] = static_cast<float>(double(A) * K);
    h.b[static_cast<std::size_t>(u0 + 1)] = static_cast<float>(double(A) * K + rng.uniform(-1.0, 1.0));
  }
  // y0's weights on the pairs; y1's on everything.
  DenseLayer pairs_out = layer(2 * (dense_pairs + coord_pairs), s.m, false);
  cancel_pairs(pairs_out, 0, dense_pairs + coord_pairs, rng);
  for (std::int64_t o = 0; o < s.m; ++o)
    for (std::int64_t j = 0; j < 2 * (dense_pairs + coord_pairs); ++j) W(out, o, hinges + j) = W(pairs_out, o, j);
  for (std::int64_t o = 1; o < s.m; ++o)
    for (std::int64_t j = 0; j < hinges; ++j) W(out, o, j) = rng.uniform(-1e-3, 1e-3);
  net.layers = {h, out};
}

}  // namespace

std::string variant(const NetSpec& spec) {
  return spec.family == "relu" ? (spec.concave ? "relu-mix" : "relu-cvx") : spec.family;
}

ExactNet make_net(const NetSpec& spec) {
  Rng rng(spec.seed);
  ExactNet net;
  net.family = variant(spec);
  net.n = spec.n;
  net.m = spec.m;
  net.name = variant(spec) + "-n" + std::to_string(spec.n) + "-d" + std::to_string(spec.depth) + "-m" +
             std::to_string(spec.m) +
             (spec.bias_scale != 1.0 ? "-b" + std::to_string(int(4000 * spec.bias_scale)) : "") + "-s" +
             std::to_string(spec.seed);
  if (spec.family == "linear")
    linear_net(net, spec, rng);
  else if (spec.family == "relu")
    relu_net(net, spec, rng);
  else
    throw std::invalid_argument("make_net: family " + spec.family);
  centre_max(net);
  return net;
}

}  // namespace bf::test
