#include "bound/rounding/rounding_account.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "bound/linear/backward_util.h"
#include "bound/rounding/rounding.h"
#include "bound/rounding/rounding_rules.h"
#include "support/error.h"
#include "support/outward_round.h"

namespace bf {

using namespace linear_detail;

namespace {

constexpr std::int64_t kAlign = 64;
std::int64_t aligned(std::int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// Hands out the scratch account_node was promised, 64-byte aligned.
class Carver {
 public:
  Carver(void* base, std::int64_t capacity) : base_(static_cast<char*>(base)), capacity_(capacity) {}
  template <typename T>
  T* take(std::int64_t count) {
    const std::int64_t bytes = aligned(count * static_cast<std::int64_t>(sizeof(T)));
    BF_CHECK(used_ + bytes <= capacity_, ErrorKind::Internal, "rounding account: scratch of {} bytes exceeded",
             capacity_);
    T* p = reinterpret_cast<T*>(base_ + used_);
    used_ += bytes;
    return p;
  }
  char* rest() const { return base_ + used_; }
  std::int64_t left() const { return capacity_ - used_; }

 private:
  char* base_;
  std::int64_t capacity_, used_ = 0;
};

std::int64_t activation_count(const AccountArgs& a) {
  std::int64_t n = 0;
  for (const auto& op : a.inputs) n += op.ibp.present && !op.ibp.is_constant ? 1 : 0;
  return n;
}

// The IbpOperands the interval rule reads on the symmetric and zero boxes
// (activation bounds filled in by the caller), and their byte needs.
std::int64_t largest_activation(const AccountArgs& a) {
  std::int64_t most = 0;
  for (const auto& op : a.inputs) {
    if (op.ibp.present && !op.ibp.is_constant) most = std::max(most, numel(*op.ibp.shape));
  }
  return most;
}

std::int64_t interval_rule_scratch(const AccountArgs& a) {
  std::vector<IbpOperand> ins;
  for (const auto& op : a.inputs) ins.push_back(op.ibp);
  const Shape* shapes[1] = {&a.out_shape};
  return ibp_scratch_bytes(a.node, ins, shapes, a.dtype, a.batch);
}

// Inflation of a non-negative quantity computed in T by a rule of `terms`
// roundings: the exact value is at most v (1 + 2 gamma) + 2 (terms + 2) eta.
double inflate(double v, std::int64_t terms, DType dtype) {
  return v * (1.0 + 2.0 * rounding_gamma(terms + 4, dtype)) +
         static_cast<double>(2 * (terms + 4)) * underflow_eta(dtype);
}

template <typename T>
class Account {
 public:
  Account(const AccountArgs& a, AbsWeightCache& abs_cache, Carver& carver)
      : a_(a), abs_(abs_cache), carver_(carver), terms_(rounding_terms(a.graph, a.node)), n_(numel(a.out_shape)) {
    R_ = static_cast<T*>(a.account);
    B_ = R_ + a.batch * (n_ + 1);
  }

  void run() {
    magnitudes();
    switch (rounding_rule(a_.node.op).magnitude) {
      case MagnitudeRule::BatchNorm:
        batch_norm();
        break;
      case MagnitudeRule::Relaxation:
        if (a_.relax.lower_slope != nullptr) {
          a_.node.op == OpKind::MaxPool ? max_pool() : elementwise();
          break;
        }
        [[fallthrough]];  // no lines (the node is not in a sweep): its interval rule
      case MagnitudeRule::Interval:
        if (!affine() && !conv()) by_interval_rule();
        break;
      case MagnitudeRule::Copy:
        if (!copy()) by_interval_rule();
        break;
    }
    for (std::int64_t b = 0; b < a_.batch; ++b)
      R_[b * (n_ + 1) + n_] = round_up<T>(sum_m_[static_cast<std::size_t>(b)]);
    for (std::int64_t b = 0; b < a_.batch; ++b) B_[b * (n_ + 1) + n_] = T(0);
    if (a_.widen.lower != nullptr && terms_.ibp > 0) widen();
    fold_charge_plane();
  }

 private:
  // M of every activation operand: max(|l|, |u|) of its interval, else its producer's R.
  void magnitudes() {
    sum_m_.assign(static_cast<std::size_t>(a_.batch), 0.0);
    for (const auto& op : a_.inputs) {
      if (!op.ibp.present || op.ibp.is_constant) {
        m_.push_back(nullptr);
        continue;
      }
      const std::int64_t n = numel(*op.ibp.shape);
      T* m = carver_.take<T>(a_.batch * n);
      for (std::int64_t b = 0; b < a_.batch; ++b) {
        double sum = 0.0;
        for (std::int64_t k = 0; k < n; ++k) {
          T v;
          if (op.ibp.bounds.lower != nullptr) {
            const T l = static_cast<const T*>(op.ibp.bounds.lower)[b * n + k];
            const T u = static_cast<const T*>(op.ibp.bounds.upper)[b * n + k];
            v = std::max(std::fabs(l), std::fabs(u));
          } else {
            BF_CHECK(op.magnitude != nullptr, ErrorKind::Internal,
                     "rounding account of '{}': an input has no magnitude", a_.node.name);
            v = static_cast<const T*>(op.magnitude)[b * (n + 1) + k];
          }
          if (std::isnan(v)) v = std::numeric_limits<T>::infinity();
          m[b * n + k] = v;
          sum += static_cast<double>(v);
        }
        sum_m_[static_cast<std::size_t>(b)] += inflate_double_sum(sum, n);
      }
      m_.push_back(m);
    }
  }

  // R and B of element `at` of an affine op's direct paths: |W| M + |b| and
  // |b|, summed in double, inflated by the rule's own rounding.
  void set_magnitudes(std::int64_t at, double r, double c, std::int64_t rule_terms) {
    R_[at] = round_up<T>(std::isnan(r) ? INFINITY : inflate(r, rule_terms, a_.dtype));
    B_[at] = round_up<T>(inflate(c, rule_terms, a_.dtype));
  }

  // Affine, y = x W^T + b with constant W [n, k] and b: R = |W| M + |b| and
  // B = |b|, by dot products in double. (The interval rule gets the same from
  // two library matrix products per plane, each one built anew, JIT and all,
  // for every batch size a program is prepared for.) The double sums err far
  // less than the T computation inflate() allows for.
  bool affine() {
    if (a_.node.op != OpKind::Affine || a_.inputs.size() < 2 || m_.empty() || m_[0] == nullptr) return false;
    const Tensor* w = a_.inputs[1].ibp.is_constant ? a_.inputs[1].ibp.constant : nullptr;
    if (w == nullptr || w->shape().size() != 2) return false;
    const bool has_bias = a_.inputs.size() > 2 && a_.inputs[2].ibp.present;
    const Tensor* bias = has_bias && a_.inputs[2].ibp.is_constant ? a_.inputs[2].ibp.constant : nullptr;
    if (has_bias && (bias == nullptr || bias->numel() != w->shape()[0])) return false;
    const std::int64_t n = w->shape()[0], k = w->shape()[1], in = numel(*a_.inputs[0].ibp.shape);
    if (k <= 0 || in % k != 0 || n_ != in / k * n) return false;
    const T* aw = abs_.abs_of(*w).template data<T>();
    const T* b = bias != nullptr ? bias->template data<T>() : nullptr;
    const std::int64_t rule_terms = std::max(terms_.ibp, std::int64_t{1});
    for (std::int64_t s = 0; s < a_.batch; ++s) {
      for (std::int64_t p = 0; p < in / k; ++p) {
        const T* m = m_[0] + s * in + p * k;
        for (std::int64_t j = 0; j < n; ++j) {
          const T* wr = aw + j * k;
          double part[4] = {0.0, 0.0, 0.0, 0.0};
          std::int64_t t = 0;
          for (; t + 4 <= k; t += 4) {
            for (int l = 0; l < 4; ++l) part[l] += static_cast<double>(wr[t + l]) * static_cast<double>(m[t + l]);
          }
          for (; t < k; ++t) part[0] += static_cast<double>(wr[t]) * static_cast<double>(m[t]);
          const double c = b != nullptr ? std::fabs(static_cast<double>(b[j])) : 0.0;
          const double r = ((part[0] + part[1]) + (part[2] + part[3])) + c;
          set_magnitudes(s * (n_ + 1) + p * n + j, r, c, rule_terms);
        }
      }
    }
    return true;
  }

  // MagnitudeRule::Copy: every element stays where it is and nothing is
  // computed, so R = M and B = 0 exactly (the interval rule where the operand
  // is not what that takes).
  bool copy() {
    if (m_.empty() || m_[0] == nullptr || numel(*a_.inputs[0].ibp.shape) != n_) return false;
    for (std::int64_t b = 0; b < a_.batch; ++b) {
      std::copy(m_[0] + b * n_, m_[0] + (b + 1) * n_, R_ + b * (n_ + 1));
      std::fill(B_ + b * (n_ + 1), B_ + b * (n_ + 1) + n_, T(0));
    }
    return true;
  }

  // Conv in f64 (2-D, constant W [cout, cin / group, kh, kw] and b): R =
  // |W| * M + |b| and B = |b|, as affine() does, in one pass over the kernel
  // (the f64 interval rule runs plain loops and convolves twice for R, the
  // centre and the radius; in f32 it runs oneDNN, faster than this).
  bool conv() {
    if (!std::is_same_v<T, double> || a_.node.op != OpKind::Conv || a_.inputs.size() < 2 || m_.empty() ||
        m_[0] == nullptr)
      return false;
    const Tensor* w = a_.inputs[1].ibp.is_constant ? a_.inputs[1].ibp.constant : nullptr;
    const Shape& xs = *a_.inputs[0].ibp.shape;
    const Shape& ys = a_.out_shape;
    if (w == nullptr || w->shape().size() != 4 || xs.size() != 4 || ys.size() != 4 || xs[0] != 1 || ys[0] != 1)
      return false;
    const bool has_bias = a_.inputs.size() > 2 && a_.inputs[2].ibp.present;
    const Tensor* bias = has_bias && a_.inputs[2].ibp.is_constant ? a_.inputs[2].ibp.constant : nullptr;
    const std::int64_t cout = ys[1], cin = xs[1], group = a_.node.attrs.get_int("group", 1);
    if ((has_bias && (bias == nullptr || bias->numel() != cout)) || group <= 0 || cin % group != 0 ||
        cout % group != 0 || w->shape()[0] != cout || w->shape()[1] != cin / group)
      return false;
    const auto& st = a_.node.attrs.get_ints("strides");
    const auto& dil = a_.node.attrs.get_ints("dilations");
    const auto& pads = a_.node.attrs.get_ints("pads");
    if (st.size() != 2 || dil.size() != 2 || pads.size() != 4) return false;
    const std::int64_t H = xs[2], W = xs[3], Ho = ys[2], Wo = ys[3], KH = w->shape()[2], KW = w->shape()[3];
    const std::int64_t cg = cin / group, og = cout / group;
    const T* aw = abs_.abs_of(*w).template data<T>();
    const T* b = bias != nullptr ? bias->template data<T>() : nullptr;
    const std::int64_t rule_terms = std::max(terms_.ibp, std::int64_t{1});
    std::vector<double> acc(static_cast<std::size_t>(Ho * Wo));
    for (std::int64_t s = 0; s < a_.batch; ++s) {
      const T* m = m_[0] + s * cin * H * W;
      for (std::int64_t co = 0; co < cout; ++co) {
        std::fill(acc.begin(), acc.end(), 0.0);
        const std::int64_t c0 = co / og * cg;
        for (std::int64_t ci = 0; ci < cg; ++ci) {
          const T* plane = m + (c0 + ci) * H * W;
          for (std::int64_t kh = 0; kh < KH; ++kh) {
            for (std::int64_t kw = 0; kw < KW; ++kw) {
              const double wv = static_cast<double>(aw[((co * cg + ci) * KH + kh) * KW + kw]);
              for (std::int64_t ho = 0; ho < Ho; ++ho) {
                const std::int64_t hi = ho * st[0] - pads[0] + kh * dil[0];
                if (hi < 0 || hi >= H) continue;
                const T* line = plane + hi * W;
                double* out = acc.data() + ho * Wo;
                for (std::int64_t wo = 0; wo < Wo; ++wo) {
                  const std::int64_t wi = wo * st[1] - pads[1] + kw * dil[1];
                  if (wi >= 0 && wi < W) out[wo] += wv * static_cast<double>(line[wi]);
                }
              }
            }
          }
        }
        const double c = b != nullptr ? std::fabs(static_cast<double>(b[co])) : 0.0;
        for (std::int64_t j = 0; j < Ho * Wo; ++j) {
          set_magnitudes(s * (n_ + 1) + co * Ho * Wo + j, acc[static_cast<std::size_t>(j)] + c, c, rule_terms);
        }
      }
    }
    return true;
  }

  // The interval rule on the box [-M, M] of every activation (R: the largest
  // |bound|) and on the box [0, 0] (B: the constant terms).
  void by_interval_rule() {
    const std::int64_t most = largest_activation(a_);
    T* zero = carver_.take<T>(a_.batch * std::max<std::int64_t>(1, most));
    std::fill(zero, zero + a_.batch * std::max<std::int64_t>(1, most), T(0));
    std::vector<IbpOperand> sym, origin;
    for (std::size_t i = 0; i < a_.inputs.size(); ++i) {
      IbpOperand s = a_.inputs[i].ibp, o = a_.inputs[i].ibp;
      if (m_[i] != nullptr) {
        const std::int64_t n = a_.batch * numel(*s.shape);
        T* neg = carver_.take<T>(n);
        for (std::int64_t k = 0; k < n; ++k) neg[k] = -m_[i][k];
        s.bounds = {neg, m_[i]};
        o.bounds = {zero, zero};
      }
      sym.push_back(s);
      origin.push_back(o);
    }
    const std::int64_t plane = a_.batch * n_;
    T* lo = carver_.take<T>(plane);
    T* hi = carver_.take<T>(plane);
    const Shape* shapes[1] = {&a_.out_shape};
    const std::int64_t rule_terms = std::max(terms_.ibp, std::int64_t{1});
    // On the zero box every sample sees the same operands (zeros and the
    // constants): B is computed for one sample and copied to the others.
    bool same_origin = true;
    for (std::size_t i = 0; i < a_.inputs.size(); ++i) {
      same_origin = same_origin && (m_[i] != nullptr || !a_.inputs[i].ibp.present || a_.inputs[i].ibp.is_constant);
    }
    for (int pass = 0; pass < 2; ++pass) {
      const std::int64_t batch = pass == 1 && same_origin ? 1 : a_.batch;
      IntervalOut out{lo, hi};
      IbpScratch scratch(carver_.rest(), carver_.left());
      ibp_eval_op(a_.node, pass == 0 ? sym : origin, std::span<const IntervalOut>(&out, 1), shapes, a_.dtype, batch,
                  abs_, scratch);
      T* dst = pass == 0 ? R_ : B_;
      for (std::int64_t b = 0; b < a_.batch; ++b) {
        const std::int64_t from = b < batch ? b : 0;
        for (std::int64_t j = 0; j < n_; ++j) {
          const double v = std::max(std::fabs(static_cast<double>(lo[from * n_ + j])),
                                    std::fabs(static_cast<double>(hi[from * n_ + j])));
          dst[b * (n_ + 1) + j] = round_up<T>(std::isnan(v) ? INFINITY : inflate(v, rule_terms, a_.dtype));
        }
      }
    }
  }

  // y = s (x - mean) + beta with s = scale / sqrt(var + eps): B = |s||mean| +
  // |beta|, R = |s| M + B, per channel (s in double, within a few units of the
  // last place of double, far inside the inflation).
  void batch_norm() {
    const Shape& xs = *a_.inputs[0].ibp.shape;
    const std::int64_t channels = xs[1], inner = numel(xs) / (xs[0] * channels);
    auto values = [&](std::size_t i) { return a_.inputs[i].ibp.constant->to_double_vector(); };
    const auto scale = values(1), beta = values(2), mean = values(3), var = values(4);
    const double eps = static_cast<double>(static_cast<T>(a_.node.attrs.get_float("epsilon", 1e-5)));
    for (std::int64_t b = 0; b < a_.batch; ++b) {
      for (std::int64_t j = 0; j < n_; ++j) {
        const auto c = static_cast<std::size_t>((j / inner) % channels);
        const double s = std::fabs(scale[c] / std::sqrt(var[c] + eps)) * (1.0 + 0x1p-48);
        const double bias = s * std::fabs(mean[c]) + std::fabs(beta[c]);
        const double m = static_cast<double>(m_[0][b * n_ + j]);
        B_[b * (n_ + 1) + j] = round_up<T>(inflate(bias, terms_.ibp, a_.dtype));
        R_[b * (n_ + 1) + j] = round_up<T>(inflate(s * m + bias, terms_.ibp, a_.dtype));
      }
    }
  }

  // Relaxation lines: B = the larger |intercept|, R = the larger |slope| M + B.
  // alpha-CROWN's optimised lines (the sweeps' own) stay within slope 1
  // (Relu, LeakyRelu, Tanh; 1/4 for Sigmoid) and, for Sigmoid and Tanh,
  // |intercept| 3/2 (the tangent's f(p) - p f'(p)), which the account takes too.
  void elementwise() {
    const bool s_shaped = a_.node.op == OpKind::Sigmoid || a_.node.op == OpKind::Tanh;
    const double slope_cap = a_.node.op == OpKind::Sigmoid ? 0.25 * (1.0 + 0x1p-20) : 1.0;
    const auto* ls = static_cast<const T*>(a_.relax.lower_slope);
    const auto* li = static_cast<const T*>(a_.relax.lower_icpt);
    const auto* us = static_cast<const T*>(a_.relax.upper_slope);
    const auto* ui = static_cast<const T*>(a_.relax.upper_icpt);
    for (std::int64_t b = 0; b < a_.batch; ++b) {
      for (std::int64_t j = 0; j < n_; ++j) {
        const std::int64_t k = b * n_ + j;
        double icpt = std::max(std::fabs(static_cast<double>(li[k])), std::fabs(static_cast<double>(ui[k])));
        if (s_shaped) icpt = std::max(icpt, 1.5);
        const double slope =
            std::max({std::fabs(static_cast<double>(ls[k])), std::fabs(static_cast<double>(us[k])), slope_cap});
        const double r = slope * static_cast<double>(m_[0][k]) + icpt;
        B_[b * (n_ + 1) + j] = round_up<T>(std::isnan(icpt) ? INFINITY : icpt * (1.0 + 0x1p-50));
        R_[b * (n_ + 1) + j] = round_up<T>(std::isnan(r) ? INFINITY : r * (1.0 + 0x1p-50));
      }
    }
  }

  // MaxPool's lines copy an input element (R: the window's largest M) or
  // bound y by a constant (B: its |value|).
  void max_pool() {
    by_interval_rule();
    const auto* upper_src = static_cast<const T*>(a_.relax.upper_slope);
    const auto* upper_const = static_cast<const T*>(a_.relax.upper_icpt);
    for (std::int64_t b = 0; b < a_.batch; ++b) {
      for (std::int64_t j = 0; j < n_; ++j) {
        const std::int64_t k = b * n_ + j;
        const double c = upper_src[k] < T(0) ? std::fabs(static_cast<double>(upper_const[k])) : 0.0;
        B_[b * (n_ + 1) + j] = round_up<T>(c);
        R_[b * (n_ + 1) + j] = add_up<T>(static_cast<double>(R_[b * (n_ + 1) + j]), c);
      }
    }
  }

  // The B plane is read by the node's charges only, which need f.r R + f.b B
  // per element: folded here, once per node, instead of in every chunk of
  // every sweep that charges the node.
  void fold_charge_plane() {
    const ChargeFactors f = charge_factors(a_.graph, a_.node, a_.dtype);
    for (std::int64_t b = 0; b < a_.batch; ++b) {
      const T* rr = R_ + b * (n_ + 1);
      T* bb = B_ + b * (n_ + 1);
      for (std::int64_t j = 0; j < n_; ++j) {
        const double c = f.r * static_cast<double>(rr[j]) + f.b * static_cast<double>(bb[j]);
        bb[j] = round_up<T>(std::isnan(c) ? INFINITY : c * (1.0 + 0x1p-50));
      }
    }
  }

  // The interval rule's result, computed in T, is within gamma(ibp terms) R of
  // the exact image of its operand intervals (plus underflow): widen it by that.
  void widen() {
    const double g = rounding_gamma(terms_.ibp, a_.dtype);
    const double under = static_cast<double>(2 * (terms_.ibp + 2)) * underflow_eta(a_.dtype);
    T* lo = static_cast<T*>(a_.widen.lower);
    T* hi = static_cast<T*>(a_.widen.upper);
    for (std::int64_t b = 0; b < a_.batch; ++b) {
      for (std::int64_t j = 0; j < n_; ++j) {
        const std::int64_t k = b * n_ + j;
        const double w = g * static_cast<double>(R_[b * (n_ + 1) + j]) + under;
        lo[k] = add_down<T>(static_cast<double>(lo[k]), -w * (1.0 + 0x1p-50));
        hi[k] = add_up<T>(static_cast<double>(hi[k]), w * (1.0 + 0x1p-50));
      }
    }
  }

  const AccountArgs& a_;
  AbsWeightCache& abs_;
  Carver& carver_;
  RoundingTerms terms_;
  std::int64_t n_;
  T *R_ = nullptr, *B_ = nullptr;
  std::vector<T*> m_;
  std::vector<double> sum_m_;
};

}  // namespace

namespace {

// The batch may share one account (MaxPool's lines name elements); it does
// when no interval is widened, which only the run knows.
bool may_collapse(const AccountArgs& a) { return a.batch_max && a.batch > 1 && a.node.op != OpKind::MaxPool; }
bool collapses(const AccountArgs& a) { return may_collapse(a) && a.widen.lower == nullptr; }

// a as one sample (the collapsed account's own run).
AccountArgs one_sample(const AccountArgs& a, std::span<const AccountOperand> inputs, RelaxView relax, void* account) {
  return AccountArgs{a.node, a.graph, inputs, a.out_shape, a.dtype, 1, relax, IntervalOut{}, account, false};
}

// Extra scratch of the collapsed account: each activation's largest
// magnitudes (as a symmetric interval), the lines' largest magnitudes, the
// one sample's planes.
std::int64_t collapse_bytes(const AccountArgs& a) {
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(a.dtype)), ny = numel(a.out_shape);
  std::int64_t bytes = 0;
  for (const auto& op : a.inputs) {
    if (op.ibp.present && !op.ibp.is_constant) bytes += 2 * aligned(numel(*op.ibp.shape) * elem);
  }
  return bytes + 4 * aligned(ny * elem) + aligned(2 * (ny + 1) * elem);
}

template <typename T>
void account_collapsed(const AccountArgs& a, AbsWeightCache& abs_cache, Carver& carver) {
  const std::int64_t batch = a.batch, ny = numel(a.out_shape);
  auto largest = [](T m, T v) { return std::isnan(v) ? std::numeric_limits<T>::infinity() : std::max(m, v); };
  std::vector<AccountOperand> ops(a.inputs.begin(), a.inputs.end());
  for (auto& op : ops) {
    if (!op.ibp.present || op.ibp.is_constant) continue;
    const std::int64_t n = numel(*op.ibp.shape);
    T* lo = carver.take<T>(n);
    T* hi = carver.take<T>(n);
    for (std::int64_t k = 0; k < n; ++k) {
      T m = T(0);
      for (std::int64_t b = 0; b < batch; ++b) {
        if (op.ibp.bounds.lower != nullptr) {
          m = largest(m, std::fabs(static_cast<const T*>(op.ibp.bounds.lower)[b * n + k]));
          m = largest(m, std::fabs(static_cast<const T*>(op.ibp.bounds.upper)[b * n + k]));
        } else {
          BF_CHECK(op.magnitude != nullptr, ErrorKind::Internal, "rounding account of '{}': an input has no magnitude",
                   a.node.name);
          m = largest(m, static_cast<const T*>(op.magnitude)[b * (n + 1) + k]);
        }
      }
      lo[k] = -m;
      hi[k] = m;
    }
    op.ibp.bounds = {lo, hi};
    op.magnitude = nullptr;
  }
  RelaxView relax;
  if (a.relax.lower_slope != nullptr) {
    const void* in[4] = {a.relax.lower_slope, a.relax.lower_icpt, a.relax.upper_slope, a.relax.upper_icpt};
    T* out[4];
    for (int p = 0; p < 4; ++p) {
      out[p] = carver.take<T>(ny);
      const T* src = static_cast<const T*>(in[p]);
      for (std::int64_t k = 0; k < ny; ++k) {
        T m = T(0);
        for (std::int64_t b = 0; b < batch; ++b) m = largest(m, std::fabs(src[b * ny + k]));
        out[p][k] = m;
      }
    }
    relax = {out[0], out[1], out[2], out[3]};
  }
  T* planes = carver.take<T>(2 * (ny + 1));
  const AccountArgs one = one_sample(a, ops, relax, planes);
  const std::int64_t bytes = account_scratch_bytes(one);
  account_node(one, abs_cache, carver.take<char>(bytes), bytes);
  T* R = static_cast<T*>(a.account);
  T* B = R + batch * (ny + 1);
  for (std::int64_t b = 0; b < batch; ++b) {
    std::copy(planes, planes + ny + 1, R + b * (ny + 1));
    std::copy(planes + ny + 1, planes + 2 * (ny + 1), B + b * (ny + 1));
  }
}

}  // namespace

std::int64_t account_scratch_bytes(const AccountArgs& a) {
  if (may_collapse(a)) {
    // Room for either way.
    AccountArgs per_sample = a;
    per_sample.batch_max = false;
    const std::int64_t one = account_scratch_bytes(one_sample(a, a.inputs, RelaxView{}, nullptr));
    return std::max(account_scratch_bytes(per_sample), collapse_bytes(a) + one);
  }
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(a.dtype));
  std::int64_t bytes = 0;
  for (const auto& op : a.inputs) {
    if (op.ibp.present && !op.ibp.is_constant) bytes += 2 * aligned(a.batch * numel(*op.ibp.shape) * elem);
  }
  bytes += aligned(a.batch * std::max<std::int64_t>(1, largest_activation(a)) * elem);
  bytes += 2 * aligned(a.batch * numel(a.out_shape) * elem);
  return bytes + (activation_count(a) > 0 ? interval_rule_scratch(a) : 0);
}

void account_node(const AccountArgs& a, AbsWeightCache& abs_cache, void* scratch, std::int64_t scratch_bytes) {
  Carver carver(scratch, scratch_bytes);
  try {
    visit_real(a.dtype, [&](auto tag) {
      if (collapses(a)) {
        account_collapsed<decltype(tag)>(a, abs_cache, carver);
      } else {
        Account<decltype(tag)>(a, abs_cache, carver).run();
      }
    });
  } catch (Error& e) {
    e.with_node(a.node.name, std::string(op_name(a.node.op)));
    throw;
  }
}

ChargeFactors charge_factors(const Graph& graph, const Node& node, DType dtype) {
  const RoundingTerms t = rounding_terms(graph, node);
  const std::int64_t n = graph.type(node.outputs[0]).numel();
  ChargeFactors f;
  f.r = rounding_gamma(std::max<std::int64_t>(t.backward, 1), dtype);
  f.b = rounding_gamma(n + 2, dtype);
  f.underflow = 2.0 * static_cast<double>(std::max<std::int64_t>(t.backward, 1) + n + 2) * underflow_eta(dtype);
  return f;
}

namespace {

constexpr int kLanes = 8;

// Σ |row_e| c_e over `count` entries, in T. Eight partial sums let the loop
// vectorise, and a pairwise reduction keeps them in registers; Higham's bound
// (SumBound) holds for any order of summation.
template <typename T>
[[gnu::always_inline]] inline T abs_dot(const T* __restrict row, const T* __restrict c, std::int64_t count) {
  T lane[kLanes] = {};
  std::int64_t e = 0;
  for (; e + kLanes <= count; e += kLanes) {
    for (int l = 0; l < kLanes; ++l) lane[l] += std::fabs(row[e + l]) * c[e + l];
  }
  T tail = 0;
  for (; e < count; ++e) tail += std::fabs(row[e]) * c[e];
  for (int l = 0; l < kLanes / 2; ++l) lane[l] += lane[l + kLanes / 2];
  lane[0] += lane[2];
  lane[1] += lane[3];
  return (lane[0] + lane[1]) + tail;
}

// A zero entry adds nothing even where the plane is infinite (the fast sum
// gives NaN there): the exact sum, entry by entry.
template <typename T>
T abs_dot_skipping_zeros(const RowCoords& coords, const T* row, const T* c) {
  T sum = 0;
  for (std::int64_t e = 0; e < coords.elements(); ++e) {
    if (row[e] == T(0)) continue;
    const std::int64_t k = coords.value_index(e);
    if (k >= 0) sum += std::fabs(row[e]) * c[k];
  }
  return sum;
}

// x inflated by 8u (u: T's unit roundoff) and rounded up to T: a factor that
// also covers the three T operations the charge goes through, with room for
// their absolute errors near underflow (charge_typed).
template <typename T>
T factor_up(double x) {
  constexpr double kU = sizeof(T) == 4 ? 0x1p-24 : 0x1p-53;
  return round_up<T>(x * (1.0 + 8.0 * kU) * (1.0 + 0x1p-50));
}

template <typename T>
void charge_typed(const SweepChunk& c, const LinearView& at, const void* account, const ChargeFactors& f,
                  const BiasView& bias) {
  // The charge of one row is f.r |A| R + f.b (|A| B + |bias|) + underflow; the
  // account folded f.r R + f.b B into its second plane (C), so a row costs
  // one pass over its entries, in T. With s the computed Σ|A| C, the true
  // charge is at most  s F + |bias| Fb + K_b  (SumBound: F its factor; K_b its
  // underflow term plus the node's, per sample b). It is formed in T: each of
  // its three operations errs by at most u relatively or, below T's normal
  // range, by half a subnormal step: (1 + 8u)(1 - u)^3 >= 1 + 4u leaves 4u of
  // the charge, at least 4u K_b >= 16 u (n + 1) eta, for those absolute
  // errors, many times over. The new bias is then stepped one T outward.
  // Rows are independent: the loops vectorise.
  const std::int64_t n = numel(at.value_shape);
  const T* R = static_cast<const T*>(account);
  const T* C = R + c.batch * (n + 1);
  RowCoords coords(at, c);
  const SumBound<T> bound_sum(coords.elements());
  const T F = factor_up<T>(bound_sum.factor()), Fb = factor_up<T>(f.b);
  thread_local std::vector<T> scratch;
  scratch.resize(static_cast<std::size_t>(c.rows + c.batch));
  T* sums = scratch.data();
  T* K = sums + c.rows;
  for (std::int64_t b = 0; b < c.batch; ++b)
    K[b] = factor_up<T>(bound_sum.under() * bound_sum.factor() +
                        f.underflow * (1.0 + static_cast<double>(R[b * (n + 1) + n])));
  // Dense rows (entry e is element e) need no coordinates.
  const bool dense = coords.dense() && at.elements == n;
  for (int s : sides(c)) {
    T* acc = static_cast<T*>(bias.side(s));
    const void* side = at.side(s);
    if (dense) {
      const T* a = static_cast<const T*>(side);
      for (std::int64_t r = 0; r < c.rows; ++r) sums[r] = abs_dot(a + r * n, C + c.samples[r] * (n + 1), n);
    } else {
      for (std::int64_t r = 0; r < c.rows; ++r) {
        const T* cc = C + c.samples[r] * (n + 1);
        coords.set_row(r);
        const T* row = row_of<T>(side, at, r);
        // Runs of entries inside the value map to consecutive elements.
        T sum = 0;
        coords.for_each_inside_run([&](std::int64_t from, std::int64_t to) {
          sum += abs_dot(row + from, cc + coords.value_index(from), to - from);
        });
        sums[r] = sum;
      }
    }
    for (std::int64_t r = 0; r < c.rows; ++r) {
      if (!std::isnan(sums[r])) continue;
      coords.set_row(r);
      sums[r] = abs_dot_skipping_zeros(coords, row_of<T>(side, at, r), C + c.samples[r] * (n + 1));
    }
    if (s == 0) {
      for (std::int64_t r = 0; r < c.rows; ++r) {
        const T charge = sums[r] * F + (std::fabs(acc[r]) * Fb + K[c.samples[r]]);
        acc[r] = next_down<T>(acc[r] - charge);
      }
    } else {
      for (std::int64_t r = 0; r < c.rows; ++r) {
        const T charge = sums[r] * F + (std::fabs(acc[r]) * Fb + K[c.samples[r]]);
        acc[r] = next_up<T>(acc[r] + charge);
      }
    }
  }
}

}  // namespace

void charge_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_output, const void* account,
                 const ChargeFactors& f, const BiasView& bias) {
  visit_real(dtype, [&](auto tag) { charge_typed<decltype(tag)>(chunk, at_output, account, f, bias); });
}

}  // namespace bf
