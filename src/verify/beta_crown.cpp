#include "verify/beta_crown.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "bound/linear/sound_lines.h"
#include "bound/rounding/rounding.h"
#include "kernels/rowwise_gemm.h"
#include "support/error.h"
#include "support/outward_round.h"

namespace bf {

namespace {

// The chord of an unstable ReLU (l < 0 < u): y <= ud z + icpt, from the ratio
// t = l / u (never u - l, which overflows for huge bounds).
void chord(float l, float u, float& ud, float& icpt) {
  const float t = l / u;
  ud = 1.0f / (1.0f - t);
  icpt = -l * ud;
}

std::size_t at(std::int64_t a, std::int64_t n, std::int64_t b) { return static_cast<std::size_t>(a * n + b); }

// The lower-bound rule for one ReLU, in f32 (the sweeps) and f64 (lower_f64):
// the coefficient on its input z given the coefficient c on its output. Active
// or split active: c; inactive: 0; relaxed: alpha c for c >= 0, else the chord
// (ud c, its intercept's share into `bias`); a split adds -beta s.
template <typename T>
T relu_coefficient(std::int8_t mode, std::int8_t split, T c, T alpha, T beta, T ud, T icpt, double& bias) {
  T z;
  if (mode > 0) {
    z = c;
  } else if (mode < 0) {
    z = T(0);
  } else if (c >= T(0)) {
    z = alpha * c;
  } else {
    z = c * ud;
    bias += static_cast<double>(c) * icpt;
  }
  if (split != 0) z -= beta * static_cast<T>(split);
  return z;
}

}  // namespace

// Per domain of a call and global neuron: how the ReLU is taken.
struct BetaCrown::State {
  std::int64_t domains = 0;
  std::vector<std::int8_t> mode;   // +1 active (stable or split), -1 inactive, 0 relaxed
  std::vector<std::int8_t> split;  // the split's sign, 0 for none
  std::vector<float> ud, icpt;     // the chord of a relaxed neuron
  std::vector<float> adaptive;     // CROWN's lower slope (intermediate sweeps)
};

BetaCrown::BetaCrown(const ReluNetwork& net, const std::vector<double>& lower, const std::vector<double>& upper,
                     std::vector<std::vector<float>> root_lo, std::vector<std::vector<float>> root_hi, bool sound)
    : net_(net), sound_(sound) {
  BF_CHECK(static_cast<std::int64_t>(lower.size()) == net.inputs() && lower.size() == upper.size(), ErrorKind::Shape,
           "beta-crown: the box has {} elements, the network {} inputs", lower.size(), net.inputs());
  BF_CHECK(static_cast<std::int64_t>(root_lo.size()) == net.relu_layers() && root_lo.size() == root_hi.size(),
           ErrorKind::Shape, "beta-crown: bounds for {} ReLU layers, the network has {}", root_lo.size(),
           net.relu_layers());
  for (std::size_t i = 0; i < lower.size(); ++i) {
    centre_.push_back(0.5 * (lower[i] + upper[i]));
    radius_.push_back(0.5 * (upper[i] - lower[i]));
    input_magnitude_.push_back(std::max(std::fabs(lower[i]), std::fabs(upper[i])));
  }
  for (std::int64_t k = 0; k < net.relu_layers(); ++k) {
    const auto kk = static_cast<std::size_t>(k);
    BF_CHECK(
        static_cast<std::int64_t>(root_lo[kk].size()) == net.neurons(k) && root_lo[kk].size() == root_hi[kk].size(),
        ErrorKind::Shape, "beta-crown: layer {} bounds have {} elements, the layer {}", k, root_lo[kk].size(),
        net.neurons(k));
    offset_.push_back(neurons_);
    for (std::int64_t j = 0; j < net.neurons(k); ++j) {
      const float l = root_lo[kk][static_cast<std::size_t>(j)], u = root_hi[kk][static_cast<std::size_t>(j)];
      BF_CHECK(!std::isnan(l) && !std::isnan(u), ErrorKind::Internal, "beta-crown: NaN bound of layer {} neuron {}", k,
               j);
      root_lo_.push_back(l);
      root_hi_.push_back(u);
      layer_of_.push_back(k);
      unstable_at_.push_back(l < 0.0f && u > 0.0f ? static_cast<std::int64_t>(unstable_.size()) : -1);
      if (l < 0.0f && u > 0.0f) unstable_.emplace_back(static_cast<std::int32_t>(k), static_cast<std::int32_t>(j));
    }
    neurons_ += net.neurons(k);
  }
}

std::int64_t BetaCrown::unstable_index(std::int32_t layer, std::int32_t neuron) const {
  return unstable_at_[static_cast<std::size_t>(offset_[static_cast<std::size_t>(layer)] + neuron)];
}

void BetaCrown::root_bounds(std::vector<float>& lo, std::vector<float>& hi) const {
  lo = root_lo_;
  hi = root_hi_;
}

std::int64_t BetaCrown::bytes_per_item() const {
  std::int64_t floats = 0, widest = 0;
  for (const auto& l : net_.layers) {
    floats += l.in;  // the sweep's coefficients, kept for the reverse pass
    widest = std::max({widest, l.in, l.out});
  }
  floats += 3 * widest;                                       // scratch of the sweep and the reverse pass
  floats += 4 * neurons_;                                     // alpha, beta, their gradients
  floats += 2 * static_cast<std::int64_t>(unstable_.size());  // Adam's moments
  floats += 3 * neurons_;                                     // a domain's chords and slopes (at most one per item)
  return floats * 4 + 2 * neurons_ + 64;
}

void BetaCrown::refresh(const std::vector<Domain>& domains, std::int64_t d, std::int64_t layer, State& s) const {
  const std::vector<float>& lo = *domains[static_cast<std::size_t>(d)].lo;
  const std::vector<float>& hi = *domains[static_cast<std::size_t>(d)].hi;
  const std::int64_t off = offset_[static_cast<std::size_t>(layer)];
  for (std::int64_t j = 0; j < net_.neurons(layer); ++j) {
    const std::int64_t g = off + j;
    const std::size_t i = at(d, neurons_, g);
    const float l = lo[static_cast<std::size_t>(g)], u = hi[static_cast<std::size_t>(g)];
    s.mode[i] = s.split[i] != 0 ? s.split[i] : (l >= 0.0f ? 1 : (u <= 0.0f ? -1 : 0));
    if (s.mode[i] == 0) {
      chord(l, u, s.ud[i], s.icpt[i]);
      if (sound_) s.icpt[i] = sound_upper_intercept(ScalarFn{}, l, u, s.ud[i], s.icpt[i]);
      s.adaptive[i] = s.ud[i] > 0.5f ? 1.0f : 0.0f;
    }
  }
}

void BetaCrown::prepare(const std::vector<Domain>& domains, State& s) const {
  const auto D = static_cast<std::int64_t>(domains.size());
  const std::int64_t N = neurons_;
  s.domains = D;
  s.mode.assign(static_cast<std::size_t>(D * N), 0);
  s.split.assign(static_cast<std::size_t>(D * N), 0);
  s.ud.assign(static_cast<std::size_t>(D * N), 0.0f);
  s.icpt.assign(static_cast<std::size_t>(D * N), 0.0f);
  s.adaptive.assign(static_cast<std::size_t>(D * N), 0.0f);
  for (std::int64_t d = 0; d < D; ++d) {
    const Domain& dom = domains[static_cast<std::size_t>(d)];
    BF_CHECK(dom.lo && dom.hi && static_cast<std::int64_t>(dom.lo->size()) == N &&
                 static_cast<std::int64_t>(dom.hi->size()) == N && dom.splits,
             ErrorKind::Internal, "beta-crown: domain {} malformed", d);
    // A split clips its neuron's interval to its side.
    for (const ReluSplit& sp : *dom.splits) {
      const std::int64_t g = offset_[static_cast<std::size_t>(sp.layer)] + sp.neuron;
      s.split[at(d, N, g)] = sp.sign;
      float& l = (*dom.lo)[static_cast<std::size_t>(g)];
      float& u = (*dom.hi)[static_cast<std::size_t>(g)];
      if (sp.sign > 0) l = std::max(l, 0.0f);
      if (sp.sign < 0) u = std::min(u, 0.0f);
    }
    for (std::int64_t k = 0; k < net_.relu_layers(); ++k) refresh(domains, d, k, s);
  }
}

namespace {

// One backward sweep of M items, each starting at z_top's neuron `neuron[m]`
// with sign `sign[m]` (the coefficient on h_top is that row of W_top), through
// the items' domains' relaxations down to the input box.
// Sound floating point: what a sweep's rounding account reads, per domain of
// the call: for ReLU layer k, a bound of |z_k| per neuron; for dense layer k,
// the sum of the bounds of |h_k| (its input) and |W_k| M(h_k) per output.
struct SweepAccount {
  std::vector<std::vector<std::vector<double>>> m_z;  // [domain][relu layer][neuron]
  std::vector<std::vector<double>> sum_h;             // [domain][layer]
  std::vector<std::vector<std::vector<double>>> r;    // [domain][layer][output]
  const std::vector<double>* m_x = nullptr;           // |x| bounds of the box
};

struct Sweep {
  const ReluNetwork* net = nullptr;
  const std::vector<std::int64_t>* offset = nullptr;
  const std::vector<double>* centre = nullptr;
  const std::vector<double>* radius = nullptr;
  std::int64_t N = 0;
  std::int64_t top = 0, M = 0;
  const std::int64_t* domain = nullptr;
  const std::int64_t* neuron = nullptr;
  const float* sign = nullptr;
  const float* alpha = nullptr;  // per item x N, or null: the domain's adaptive slopes
  const float* beta = nullptr;   // per item x N, or null: none
  // When set: each value is moved down by the sweep's rounding (f32 products
  // and the dense layers' deviations; double sums), so it holds exactly.
  const SweepAccount* account = nullptr;
};

}  // namespace

namespace {

// The f32 sweep's account for item m (its rows of `ah` after the sweep are the
// coefficients it used): docs/soundness.md, "ReLU split".
double sweep_charge(const Sweep& w, std::int64_t m, double bias, const std::vector<std::vector<float>>& ah,
                    const std::vector<std::vector<float>>& zs, const std::vector<const float*>& betas) {
  const ReluNetwork& net = *w.net;
  const SweepAccount& acc = *w.account;
  const std::int64_t d = w.domain[m];
  const auto kd = static_cast<std::size_t>(d);
  const double u32 = 0x1p-24;
  // The top row: W_top's row as stored, off the exact one by its deviation.
  const DenseLayer& top = net.layers[static_cast<std::size_t>(w.top)];
  const auto row = static_cast<std::size_t>(w.neuron[m]);
  double charge = top.dev_w[row] * acc.sum_h[kd][static_cast<std::size_t>(w.top)] + top.dev_b[row];
  for (std::int64_t k = w.top; k >= 1; --k) {
    const DenseLayer& below = net.layers[static_cast<std::size_t>(k - 1)];
    const std::int64_t n = below.out;
    const float* c = ah[static_cast<std::size_t>(k)].data() + m * n;
    const float* z = zs[static_cast<std::size_t>(k)].data() + m * n;
    const float* beta = betas[static_cast<std::size_t>(k)];
    const std::vector<double>& mz = acc.m_z[kd][static_cast<std::size_t>(k - 1)];
    const std::vector<double>& r = acc.r[kd][static_cast<std::size_t>(k - 1)];
    const double sum_h = acc.sum_h[kd][static_cast<std::size_t>(k - 1)];
    double relu = 0.0, gemm = 0.0, dev = 0.0, sums = 0.0;
    for (std::int64_t j = 0; j < n; ++j) {
      const auto kj = static_cast<std::size_t>(j);
      const double cj = std::fabs(static_cast<double>(c[j])), zj = std::fabs(static_cast<double>(z[j]));
      const double bj = beta ? std::fabs(static_cast<double>(beta[j])) : 0.0;
      relu += (cj + bj) * mz[kj];
      gemm += zj * r[kj];
      dev += zj * (below.dev_w[kj] * sum_h + below.dev_b[kj]);
      sums += cj * mz[kj] + zj * std::fabs(static_cast<double>(below.b[kj]));  // |chord intercept| <= |l| <= M(z)
    }
    // The coefficient on z: at most two f32 roundings (a slope, then beta);
    // A at h below: n-term f32 sums; the bias: double sums of exact products.
    charge += 2.0 * u32 * inflate_double_sum(relu, n) + rounding_gamma(n, DType::F32) * inflate_double_sum(gemm, n) +
              inflate_double_sum(dev, n) + rounding_gamma(2 * n + 2, DType::F64) * (sums + 2.0 * std::fabs(bias));
  }
  const std::int64_t n0 = net.inputs();
  const float* a0 = ah[0].data() + m * n0;
  double mag = 0.0;
  for (std::int64_t i = 0; i < n0; ++i)
    mag += std::fabs(static_cast<double>(a0[i])) * (*acc.m_x)[static_cast<std::size_t>(i)];
  charge += rounding_gamma(2 * n0 + 4, DType::F64) * (inflate_double_sum(mag, n0) + std::fabs(bias)) +
            static_cast<double>(4 * (n0 + 2)) * 0x1p-1022;
  return charge * (1.0 + 0x1p-40);
}

template <typename StateT>
void run_sweep(const Sweep& w, const StateT& s, std::vector<std::vector<float>>& ah, std::vector<float>& az,
               std::vector<double>& value) {
  const ReluNetwork& net = *w.net;
  const std::int64_t M = w.M, N = w.N, n0 = net.inputs();
  std::vector<double> bias(static_cast<std::size_t>(M));
  // With an account: each layer's coefficients on z (and the betas they
  // subtracted) are kept for the charge.
  std::vector<std::vector<float>> zs(w.account ? ah.size() : 0);
  std::vector<const float*> betas(ah.size(), nullptr);
  {
    const DenseLayer& l = net.layers[static_cast<std::size_t>(w.top)];
    ah[static_cast<std::size_t>(w.top)].resize(static_cast<std::size_t>(M * l.in));
    float* a = ah[static_cast<std::size_t>(w.top)].data();
    for (std::int64_t m = 0; m < M; ++m) {
      const float sg = w.sign[m];
      const float* row = l.w.data() + w.neuron[m] * l.in;
      for (std::int64_t i = 0; i < l.in; ++i) a[m * l.in + i] = sg * row[i];
      bias[static_cast<std::size_t>(m)] = static_cast<double>(sg) * l.b[static_cast<std::size_t>(w.neuron[m])];
    }
  }
  for (std::int64_t k = w.top; k >= 1; --k) {
    const DenseLayer& below = net.layers[static_cast<std::size_t>(k - 1)];
    const std::int64_t n = below.out, off = (*w.offset)[static_cast<std::size_t>(k - 1)];
    const float* a = ah[static_cast<std::size_t>(k)].data();
    az.resize(static_cast<std::size_t>(M * n));
#pragma omp parallel for schedule(static) if (M * n > 65536)
    for (std::int64_t m = 0; m < M; ++m) {
      const std::int64_t d = w.domain[m];
      double add = 0.0;
      for (std::int64_t j = 0; j < n; ++j) {
        const std::size_t i = at(d, N, off + j), p = at(m, N, off + j);
        const float z =
            relu_coefficient(s.mode[i], w.beta ? s.split[i] : std::int8_t{0}, a[m * n + j],
                             w.alpha ? w.alpha[p] : s.adaptive[i], w.beta ? w.beta[p] : 0.0f, s.ud[i], s.icpt[i], add);
        az[static_cast<std::size_t>(m * n + j)] = z;
        add += static_cast<double>(z) * below.b[static_cast<std::size_t>(j)];
      }
      bias[static_cast<std::size_t>(m)] += add;
    }
    if (w.account) zs[static_cast<std::size_t>(k)] = az;
    ah[static_cast<std::size_t>(k - 1)].resize(static_cast<std::size_t>(M * below.in));
    rowwise_gemm(M, n, below.in, az.data(), n, below.packed_w.data(), ah[static_cast<std::size_t>(k - 1)].data(),
                 below.in, false);
  }
  const float* a0 = ah[0].data();
  value.resize(static_cast<std::size_t>(M));
#pragma omp parallel for schedule(static) if (M * n0 > 65536)
  for (std::int64_t m = 0; m < M; ++m) {
    double v = bias[static_cast<std::size_t>(m)];
    for (std::int64_t i = 0; i < n0; ++i) {
      const double c = a0[m * n0 + i];
      v += c * (*w.centre)[static_cast<std::size_t>(i)] - std::fabs(c) * (*w.radius)[static_cast<std::size_t>(i)];
    }
    value[static_cast<std::size_t>(m)] = v;
  }
  if (w.account) {
    for (std::int64_t m = 0; m < M; ++m) {
      // The betas of this item's splits, by layer (the tightening sweeps take none).
      std::vector<const float*> item_betas(ah.size(), nullptr);
      if (w.beta) {
        for (std::int64_t k = 1; k <= w.top; ++k)
          item_betas[static_cast<std::size_t>(k)] = w.beta + m * N + (*w.offset)[static_cast<std::size_t>(k - 1)];
      }
      const double charge = sweep_charge(w, m, bias[static_cast<std::size_t>(m)], ah, zs, item_betas);
      double& v = value[static_cast<std::size_t>(m)];
      v = std::nextafter(v - charge, -std::numeric_limits<double>::infinity());
    }
  }
}

// The account of a call's domains up to layer `top`: |z| bounds, the sums of
// |h| bounds, and |W| M(h) per output (every dense layer below `top`).
void make_account(const ReluNetwork& net_, const std::vector<std::int64_t>& offset_,
                  const std::vector<double>& input_magnitude_, const std::vector<BetaCrown::Domain>& domains,
                  std::int64_t top, SweepAccount& a) {
  a.m_x = &input_magnitude_;
  a.m_z.assign(domains.size(), {});
  a.sum_h.assign(domains.size(), {});
  a.r.assign(domains.size(), {});
  for (std::size_t d = 0; d < domains.size(); ++d) {
    const std::vector<float>& lo = *domains[d].lo;
    const std::vector<float>& hi = *domains[d].hi;
    std::vector<double> m_h = input_magnitude_;
    for (std::int64_t k = 0; k <= top && k < static_cast<std::int64_t>(net_.layers.size()); ++k) {
      const DenseLayer& L = net_.layers[static_cast<std::size_t>(k)];
      a.sum_h[d].push_back(inflate_double_sum(std::accumulate(m_h.begin(), m_h.end(), 0.0), L.in));
      if (k == top) break;
      std::vector<double> r(static_cast<std::size_t>(L.out), 0.0), m_z(static_cast<std::size_t>(L.out));
      const std::int64_t off = offset_[static_cast<std::size_t>(k)];
      for (std::int64_t j = 0; j < L.out; ++j) {
        const float* w = L.w.data() + j * L.in;
        double sum = 0.0;
        for (std::int64_t i = 0; i < L.in; ++i)
          sum += std::fabs(static_cast<double>(w[i])) * m_h[static_cast<std::size_t>(i)];
        const auto g = static_cast<std::size_t>(off + j);
        r[static_cast<std::size_t>(j)] = inflate_double_sum(sum, L.in);
        m_z[static_cast<std::size_t>(j)] =
            std::max(std::fabs(static_cast<double>(lo[g])), std::fabs(static_cast<double>(hi[g])));
      }
      a.r[d].push_back(std::move(r));
      m_h.assign(static_cast<std::size_t>(L.out), 0.0);
      for (std::int64_t j = 0; j < L.out; ++j)
        m_h[static_cast<std::size_t>(j)] = std::max(0.0, static_cast<double>(hi[static_cast<std::size_t>(off + j)]));
      a.m_z[d].push_back(std::move(m_z));
    }
  }
}

}  // namespace

void BetaCrown::tighten(const std::vector<Domain>& domains, State& s, Result& result, std::int64_t chunk_items) const {
  const std::int64_t N = neurons_, D = s.domains;
  std::int64_t per_item = 0;
  for (const auto& l : net_.layers) per_item += l.in;
  // Items come in (lower, upper) pairs: a chunk holds whole pairs.
  const std::int64_t chunk =
      2 * std::max<std::int64_t>(
              1, (chunk_items > 0 ? chunk_items : (std::int64_t{1} << 25) / std::max<std::int64_t>(1, per_item)) / 2);
  std::vector<std::vector<float>> ah(net_.layers.size());
  std::vector<float> az;
  std::vector<double> value;
  for (std::int64_t k = 1; k < net_.relu_layers(); ++k) {
    const std::int64_t off = offset_[static_cast<std::size_t>(k)];
    std::vector<std::int64_t> dom, neuron;
    std::vector<float> sign;
    for (std::int64_t d = 0; d < D; ++d) {
      if (result.infeasible[static_cast<std::size_t>(d)]) continue;
      for (std::int64_t j = 0; j < net_.neurons(k); ++j) {
        if (s.mode[at(d, N, off + j)] != 0) continue;
        for (float sg : {1.0f, -1.0f}) {
          dom.push_back(d);
          neuron.push_back(j);
          sign.push_back(sg);
        }
      }
    }
    std::vector<char> changed(static_cast<std::size_t>(D), 0);
    // Sound: the account of every domain below layer k (bounds below are final by now).
    SweepAccount account;
    if (sound_ && !dom.empty()) make_account(net_, offset_, input_magnitude_, domains, k, account);
    for (std::int64_t first = 0; first < static_cast<std::int64_t>(dom.size()); first += chunk) {
      Sweep w;
      if (sound_) w.account = &account;
      w.net = &net_;
      w.offset = &offset_;
      w.centre = &centre_;
      w.radius = &radius_;
      w.N = N;
      w.top = k;
      w.M = std::min<std::int64_t>(chunk, static_cast<std::int64_t>(dom.size()) - first);
      w.domain = dom.data() + first;
      w.neuron = neuron.data() + first;
      w.sign = sign.data() + first;
      run_sweep(w, s, ah, az, value);
      for (std::int64_t m = 0; m + 1 < w.M; m += 2) {
        const std::int64_t d = w.domain[m];
        const std::size_t g = static_cast<std::size_t>(off + w.neuron[m]);
        std::vector<float>& lo = *domains[static_cast<std::size_t>(d)].lo;
        std::vector<float>& hi = *domains[static_cast<std::size_t>(d)].hi;
        // The new bounds intersected with the old ones: sound ones as they
        // are; plain f32 ones widened by a heuristic margin (--fast-unsound-fp).
        const double nl = value[static_cast<std::size_t>(m)], nh = -value[static_cast<std::size_t>(m + 1)];
        const double widen_l = sound_ ? 0.0 : 1e-5 * std::max(1.0, std::fabs(nl));
        const double widen_h = sound_ ? 0.0 : 1e-5 * std::max(1.0, std::fabs(nh));
        const double l = std::isnan(nl) ? lo[g] : std::max<double>(lo[g], nl - widen_l);
        const double h = std::isnan(nh) ? hi[g] : std::min<double>(hi[g], nh + widen_h);
        if (l > h) {
          result.infeasible[static_cast<std::size_t>(d)] = 1;  // no value of z fits: the splits cannot all hold
          continue;
        }
        if (l == lo[g] && h == hi[g]) continue;
        lo[g] = round_down<float>(l);
        hi[g] = round_up<float>(h);
        changed[static_cast<std::size_t>(d)] = 1;
      }
    }
    for (std::int64_t d = 0; d < D; ++d) {
      if (changed[static_cast<std::size_t>(d)]) refresh(domains, d, k, s);
    }
  }
}

void BetaCrown::item_parameters(const State& s, const Item& it, float* alpha, float* beta) const {
  // Defaults (CROWN's adaptive slope, beta 0) where the item gives none (NaN).
  const std::int64_t N = neurons_;
  std::copy(s.adaptive.begin() + it.domain * N, s.adaptive.begin() + (it.domain + 1) * N, alpha);
  for (std::size_t u = 0; u < unstable_.size(); ++u) {
    const auto [k, j] = unstable_[u];
    const std::int64_t g = offset_[static_cast<std::size_t>(k)] + j;
    const float p = (*it.params)[u];
    if (std::isnan(p)) continue;
    if (s.split[at(it.domain, N, g)] != 0) {
      beta[g] = std::max(p, 0.0f);
    } else {
      alpha[g] = std::clamp(p, 0.0f, 1.0f);
    }
  }
}

std::vector<double> BetaCrown::lower_f64(const std::vector<Domain>& domains, const std::vector<Item>& items) const {
  State s;
  prepare(domains, s);
  const std::int64_t N = neurons_, n0 = net_.inputs();
  const auto L = static_cast<std::int64_t>(net_.layers.size());
  const auto M = static_cast<std::int64_t>(items.size());
  std::vector<double> out(static_cast<std::size_t>(M));
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t m = 0; m < M; ++m) {
    const Item& it = items[static_cast<std::size_t>(m)];
    const Domain& dom = domains[static_cast<std::size_t>(it.domain)];
    std::vector<float> alpha(static_cast<std::size_t>(N)), beta(static_cast<std::size_t>(N), 0.0f);
    item_parameters(s, it, alpha.data(), beta.data());
    const DenseLayer& top = net_.layers.back();
    std::vector<double> a(top.w.begin() + it.row * top.in, top.w.begin() + (it.row + 1) * top.in), z;
    double bias = top.b[static_cast<std::size_t>(it.row)];
    // Sound: the bounds of |h_k| (sum and largest) and |z_k| this domain gives.
    auto m_h = [&](std::int64_t k, std::int64_t i) -> double {
      if (k == 0) return input_magnitude_[static_cast<std::size_t>(i)];
      return std::max(
          0.0, static_cast<double>((*dom.hi)[static_cast<std::size_t>(offset_[static_cast<std::size_t>(k - 1)] + i)]));
    };
    auto h_sum_max = [&](std::int64_t k) {
      double sum = 0.0, most = 0.0;
      for (std::int64_t i = 0; i < net_.layers[static_cast<std::size_t>(k)].in; ++i) {
        sum += m_h(k, i);
        most = std::max(most, m_h(k, i));
      }
      return std::pair<double, double>(inflate_double_sum(sum, net_.layers[static_cast<std::size_t>(k)].in), most);
    };
    const double u64 = 0x1p-53;
    double charge = 0.0;
    if (sound_) {
      charge = top.dev_w[static_cast<std::size_t>(it.row)] * h_sum_max(L - 1).first +
               top.dev_b[static_cast<std::size_t>(it.row)];
    }
    for (std::int64_t k = L - 1; k >= 1; --k) {
      const DenseLayer& below = net_.layers[static_cast<std::size_t>(k - 1)];
      const std::int64_t n = below.out, off = offset_[static_cast<std::size_t>(k - 1)];
      z.assign(static_cast<std::size_t>(n), 0.0);
      double relu = 0.0, sums = 0.0;
      for (std::int64_t j = 0; j < n; ++j) {
        const std::size_t i = at(it.domain, N, off + j), g = static_cast<std::size_t>(off + j);
        // A relaxed neuron's chord from the f32 bounds, in f64 (its intercept
        // made sound in exact arithmetic when asked).
        double ud = 0.0, icpt = 0.0;
        const double l = (*dom.lo)[g], u = (*dom.hi)[g];
        if (s.mode[i] == 0) {
          ud = u / (u - l);
          icpt = -l * ud;
          if (sound_) icpt = sound_upper_intercept(ScalarFn{}, l, u, ud, icpt);
        }
        const double c = a[static_cast<std::size_t>(j)];
        const double v = relu_coefficient(s.mode[i], s.split[i], c, static_cast<double>(alpha[g]),
                                          static_cast<double>(beta[g]), ud, icpt, bias);
        z[static_cast<std::size_t>(j)] = v;
        bias += v * below.b[static_cast<std::size_t>(j)];
        if (sound_) {
          const double mz = std::max(std::fabs(l), std::fabs(u));
          relu += (std::fabs(c) + std::fabs(static_cast<double>(beta[g]))) * mz;
          sums += std::fabs(c) * mz + std::fabs(v * static_cast<double>(below.b[static_cast<std::size_t>(j)]));
        }
      }
      if (sound_) {
        // The coefficient on z (two roundings), the bias's sums, A at h below
        // (n-term sums: |z| |w| M(h) <= |z| |w|_1 max M(h)), and the dense
        // layer's deviation from the exact map.
        const auto [h_sum, h_max] = h_sum_max(k - 1);
        double gemm = 0.0, dev = 0.0;
        for (std::int64_t j = 0; j < n; ++j) {
          const double zj = std::fabs(z[static_cast<std::size_t>(j)]);
          gemm += zj * below.row_l1[static_cast<std::size_t>(j)];
          dev += zj * (below.dev_w[static_cast<std::size_t>(j)] * h_sum + below.dev_b[static_cast<std::size_t>(j)]);
        }
        charge += 2.0 * u64 * inflate_double_sum(relu, n) +
                  rounding_gamma(2 * n + 2, DType::F64) * (sums + 2.0 * std::fabs(bias)) +
                  rounding_gamma(n + 1, DType::F64) * inflate_double_sum(gemm, n) * h_max + inflate_double_sum(dev, n);
      }
      a.assign(static_cast<std::size_t>(below.in), 0.0);
      for (std::int64_t o = 0; o < n; ++o) {
        const double zo = z[static_cast<std::size_t>(o)];
        if (zo == 0.0) continue;
        const float* w = below.w.data() + o * below.in;
        for (std::int64_t i = 0; i < below.in; ++i) a[static_cast<std::size_t>(i)] += zo * static_cast<double>(w[i]);
      }
    }
    double v = bias, mag = 0.0;
    for (std::int64_t i = 0; i < n0; ++i) {
      const double c = a[static_cast<std::size_t>(i)];
      v += c * centre_[static_cast<std::size_t>(i)] - std::fabs(c) * radius_[static_cast<std::size_t>(i)];
      mag += std::fabs(c) * input_magnitude_[static_cast<std::size_t>(i)];
    }
    if (sound_) {
      charge += rounding_gamma(2 * n0 + 4, DType::F64) * (inflate_double_sum(mag, n0) + std::fabs(bias)) +
                static_cast<double>(4 * (n0 + 2)) * 0x1p-1022;
      v = std::nextafter(v - charge * (1.0 + 0x1p-40), -std::numeric_limits<double>::infinity());
    }
    out[static_cast<std::size_t>(m)] = v;
  }
  return out;
}

void BetaCrown::bound(const std::vector<Domain>& domains, const std::vector<Item>& items, const Options& opt,
                      Result& result) const {
  const auto M = static_cast<std::int64_t>(items.size());
  const auto L = static_cast<std::int64_t>(net_.layers.size());
  const std::int64_t N = neurons_, U = static_cast<std::int64_t>(unstable_.size());
  const std::int64_t n0 = net_.inputs();
  result.lower.assign(static_cast<std::size_t>(M), -std::numeric_limits<double>::infinity());
  result.infeasible.assign(domains.size(), 0);
  State s;
  prepare(domains, s);
  if (opt.tighten) tighten(domains, s, result, opt.tighten_chunk);
  if (M == 0) return;
  std::vector<float> alpha(static_cast<std::size_t>(M * N), 0.0f), beta(static_cast<std::size_t>(M * N), 0.0f);
  std::vector<std::int64_t> dom(static_cast<std::size_t>(M)), row(static_cast<std::size_t>(M));
  std::vector<float> sign(static_cast<std::size_t>(M), 1.0f);
  for (std::int64_t m = 0; m < M; ++m) {
    const Item& it = items[static_cast<std::size_t>(m)];
    BF_CHECK(it.domain >= 0 && it.domain < s.domains && it.row >= 0 && it.row < net_.layers.back().out &&
                 it.params != nullptr && static_cast<std::int64_t>(it.params->size()) == U,
             ErrorKind::Internal, "beta-crown: item {} malformed", m);
    dom[static_cast<std::size_t>(m)] = it.domain;
    row[static_cast<std::size_t>(m)] = it.row;
    item_parameters(s, it, alpha.data() + m * N, beta.data() + m * N);
  }
  Sweep w;
  w.net = &net_;
  w.offset = &offset_;
  w.centre = &centre_;
  w.radius = &radius_;
  w.N = N;
  w.top = L - 1;
  w.M = M;
  w.domain = dom.data();
  w.neuron = row.data();
  w.sign = sign.data();
  w.alpha = alpha.data();
  w.beta = beta.data();
  std::vector<std::vector<float>> ah(static_cast<std::size_t>(L));
  std::vector<float> az, gz, gh;
  std::vector<double> value;

  // The reverse pass: gradients of value[m] by alpha (ga) and beta (gb).
  std::vector<float> ga(static_cast<std::size_t>(M * N)), gb(static_cast<std::size_t>(M * N));
  auto reverse = [&] {
    std::fill(ga.begin(), ga.end(), 0.0f);
    std::fill(gb.begin(), gb.end(), 0.0f);
    gh.resize(static_cast<std::size_t>(M * n0));
    const float* a0 = ah[0].data();
    for (std::int64_t m = 0; m < M; ++m) {
      for (std::int64_t i = 0; i < n0; ++i) {
        const float c = a0[m * n0 + i];
        const auto r = static_cast<float>(radius_[static_cast<std::size_t>(i)]);
        gh[static_cast<std::size_t>(m * n0 + i)] =
            static_cast<float>(centre_[static_cast<std::size_t>(i)]) - (c > 0.0f ? r : (c < 0.0f ? -r : 0.0f));
      }
    }
    for (std::int64_t k = 0; k + 1 < L; ++k) {
      const DenseLayer& l = net_.layers[static_cast<std::size_t>(k)];
      const std::int64_t n = l.out, off = offset_[static_cast<std::size_t>(k)];
      gz.resize(static_cast<std::size_t>(M * n));
      rowwise_gemm(M, l.in, l.out, gh.data(), l.in, l.packed_wt.data(), gz.data(), l.out, false);
      const float* a = ah[static_cast<std::size_t>(k + 1)].data();
      gh.resize(static_cast<std::size_t>(M * n));
#pragma omp parallel for schedule(static) if (M * n > 65536)
      for (std::int64_t m = 0; m < M; ++m) {
        const std::int64_t d = dom[static_cast<std::size_t>(m)];
        for (std::int64_t j = 0; j < n; ++j) {
          const std::size_t i = at(d, N, off + j), p = at(m, N, off + j);
          // d value / d (coefficient on z_k): the bias term's b plus what flows down.
          const float g = gz[static_cast<std::size_t>(m * n + j)] + l.b[static_cast<std::size_t>(j)];
          const float c = a[m * n + j];
          float h;
          if (s.split[i] != 0) gb[p] = -static_cast<float>(s.split[i]) * g;
          if (s.mode[i] > 0) {
            h = g;
          } else if (s.mode[i] < 0) {
            h = 0.0f;
          } else if (c >= 0.0f) {
            ga[p] = g * c;
            h = g * alpha[p];
          } else {
            h = g * s.ud[i] + s.icpt[i];
          }
          gh[static_cast<std::size_t>(m * n + j)] = h;
        }
      }
    }
  };

  std::vector<float> m1, v1;
  if (opt.iterations > 0) {
    m1.assign(static_cast<std::size_t>(M * U), 0.0f);
    v1.assign(static_cast<std::size_t>(M * U), 0.0f);
  }
  // An item's parameters out are those of its best bound (what lower_f64 re-checks).
  auto keep_params = [&](std::int64_t m) {
    const std::int64_t d = dom[static_cast<std::size_t>(m)];
    std::vector<float>& p = *items[static_cast<std::size_t>(m)].params;
    for (std::int64_t u = 0; u < U; ++u) {
      const auto [k, j] = unstable_[static_cast<std::size_t>(u)];
      const std::int64_t g = offset_[static_cast<std::size_t>(k)] + j;
      const std::size_t i = at(d, N, g);
      if (s.split[i] != 0) {
        p[static_cast<std::size_t>(u)] = beta[at(m, N, g)];
      } else if (s.mode[i] == 0) {
        p[static_cast<std::size_t>(u)] = alpha[at(m, N, g)];
      }
    }
  };
  for (int it = 0;; ++it) {
    run_sweep(w, s, ah, az, value);
    for (std::int64_t m = 0; m < M; ++m) {
      const double v = value[static_cast<std::size_t>(m)];
      if (std::isnan(v) || !(v > result.lower[static_cast<std::size_t>(m)])) continue;
      result.lower[static_cast<std::size_t>(m)] = v;
      keep_params(m);
    }
    if (it >= opt.iterations) break;
    reverse();
    // Adam, ascending; alpha kept in [0, 1], beta >= 0.
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float c1 = 1.0f - std::pow(b1, static_cast<float>(it + 1)),
                c2 = 1.0f - std::pow(b2, static_cast<float>(it + 1));
#pragma omp parallel for schedule(static) if (M * U > 65536)
    for (std::int64_t m = 0; m < M; ++m) {
      const std::int64_t d = dom[static_cast<std::size_t>(m)];
      for (std::int64_t u = 0; u < U; ++u) {
        const auto [k, j] = unstable_[static_cast<std::size_t>(u)];
        const std::int64_t g = offset_[static_cast<std::size_t>(k)] + j;
        const std::size_t i = at(d, N, g), p = at(m, N, g);
        const bool is_beta = s.split[i] != 0;
        if (!is_beta && s.mode[i] != 0) continue;
        const float grad = is_beta ? gb[p] : ga[p];
        float& mm = m1[at(m, U, u)];
        float& vv = v1[at(m, U, u)];
        mm = b1 * mm + (1.0f - b1) * grad;
        vv = b2 * vv + (1.0f - b2) * grad * grad;
        const float step = (mm / c1) / (std::sqrt(vv / c2) + eps);
        if (is_beta) {
          beta[p] = std::max(0.0f, beta[p] + static_cast<float>(opt.lr_beta) * step);
        } else {
          alpha[p] = std::clamp(alpha[p] + static_cast<float>(opt.lr_alpha) * step, 0.0f, 1.0f);
        }
      }
    }
  }
  // Scores and minimisers from the last sweep.
  if (opt.scores) result.scores.assign(static_cast<std::size_t>(M * U), 0.0f);
  if (opt.points) result.points.resize(static_cast<std::size_t>(M * n0));
  for (std::int64_t m = 0; m < M; ++m) {
    const std::int64_t d = dom[static_cast<std::size_t>(m)];
    for (std::int64_t u = 0; u < U; ++u) {
      const auto [k, j] = unstable_[static_cast<std::size_t>(u)];
      const std::int64_t g = offset_[static_cast<std::size_t>(k)] + j;
      const std::size_t i = at(d, N, g);
      if (opt.scores && s.mode[i] == 0) {
        // BaBSR's intercept term: how much the chord's intercept lowers the bound.
        const std::int64_t n = net_.neurons(k);
        const float c = ah[static_cast<std::size_t>(k + 1)][static_cast<std::size_t>(m * n + j)];
        result.scores[at(m, U, u)] = c < 0.0f ? -c * s.icpt[i] : 1e-6f * c * s.icpt[i];
      }
    }
    if (opt.points) {
      for (std::int64_t i = 0; i < n0; ++i) {
        const float c = ah[0][static_cast<std::size_t>(m * n0 + i)];
        const double r = radius_[static_cast<std::size_t>(i)];
        result.points[static_cast<std::size_t>(m * n0 + i)] =
            centre_[static_cast<std::size_t>(i)] + (c > 0.0f ? -r : (c < 0.0f ? r : 0.0));
      }
    }
  }
}

}  // namespace bf
