#include "verify/domain_attack.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "support/error.h"

namespace bf {

namespace {

// z_k for every layer (the last: the spec rows) at x, in f64.
void forward(const ReluNetwork& net, const std::vector<double>& x, std::vector<std::vector<double>>& z) {
  z.resize(net.layers.size());
  std::vector<double> h = x;
  for (std::size_t k = 0; k < net.layers.size(); ++k) {
    const DenseLayer& l = net.layers[k];
    auto& zk = z[k];
    zk.assign(static_cast<std::size_t>(l.out), 0.0);
    for (std::int64_t o = 0; o < l.out; ++o) {
      const float* w = l.w.data() + o * l.in;
      double s = l.b[static_cast<std::size_t>(o)];
      for (std::int64_t i = 0; i < l.in; ++i) s += static_cast<double>(w[i]) * h[static_cast<std::size_t>(i)];
      zk[static_cast<std::size_t>(o)] = s;
    }
    h.resize(zk.size());
    for (std::size_t j = 0; j < zk.size(); ++j) h[j] = std::max(zk[j], 0.0);
  }
}

std::int64_t missed(const std::vector<ReluSplit>& splits, const std::vector<std::vector<double>>& z) {
  std::int64_t n = 0;
  for (const ReluSplit& s : splits) {
    n += static_cast<double>(s.sign) * z[static_cast<std::size_t>(s.layer)][static_cast<std::size_t>(s.neuron)] < 0.0;
  }
  return n;
}

}  // namespace

DomainAttackResult attack_domain(const ReluNetwork& net, const CaseProblem& problem,
                                 const std::vector<ReluSplit>& splits, const std::vector<double>& start,
                                 const DomainAttackOptions& options) {
  const std::int64_t n = net.inputs();
  BF_CHECK(static_cast<std::int64_t>(start.size()) == n && net.layers.back().out == problem.num_rows(),
           ErrorKind::Shape, "domain attack: a start of {} values for {} inputs", start.size(), n);
  std::vector<double> x = start;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    x[u] = std::clamp(x[u], problem.lower[u], problem.upper[u]);
  }
  DomainAttackResult best;
  best.margin = std::numeric_limits<double>::infinity();
  best.splits_missed = std::numeric_limits<std::int64_t>::max();
  std::vector<std::vector<double>> z;
  std::vector<double> gh, gz;
  double step = options.first_step;
  for (int t = 0;; ++t) {
    forward(net, x, z);
    std::int64_t row = -1;
    const double margin = violation_margin(problem, z.back().data(), nullptr, &row);
    // Fewer splits missed first (inside the subdomain beats outside), then the margin.
    const std::int64_t miss = missed(splits, z);
    if (miss < best.splits_missed || (miss == best.splits_missed && margin < best.margin)) {
      best.x = x;
      best.margin = margin;
      best.splits_missed = miss;
    }
    if (t == options.steps || row < 0) break;
    // The gradient of margin + penalty: the active row's, back through the
    // ReLUs that are on at x, plus -penalty * sign on every split input on the wrong side.
    const DenseLayer& top = net.layers.back();
    gh.assign(top.w.begin() + row * top.in, top.w.begin() + (row + 1) * top.in);
    for (std::size_t k = net.layers.size() - 1; k-- > 0;) {
      const DenseLayer& l = net.layers[k];
      const std::vector<double>& zk = z[k];
      gz.assign(zk.size(), 0.0);
      for (std::size_t j = 0; j < zk.size(); ++j) gz[j] = zk[j] > 0.0 ? gh[j] : 0.0;
      for (const ReluSplit& s : splits) {
        if (static_cast<std::size_t>(s.layer) != k) continue;
        const auto j = static_cast<std::size_t>(s.neuron);
        if (static_cast<double>(s.sign) * zk[j] < 0.0) gz[j] -= options.penalty * static_cast<double>(s.sign);
      }
      gh.assign(static_cast<std::size_t>(l.in), 0.0);
      for (std::int64_t o = 0; o < l.out; ++o) {
        const double g = gz[static_cast<std::size_t>(o)];
        if (g == 0.0) continue;
        const float* w = l.w.data() + o * l.in;
        for (std::int64_t i = 0; i < l.in; ++i) gh[static_cast<std::size_t>(i)] += g * static_cast<double>(w[i]);
      }
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      const double width = problem.upper[u] - problem.lower[u];
      const double d = gh[u] > 0.0 ? -1.0 : (gh[u] < 0.0 ? 1.0 : 0.0);
      x[u] = std::clamp(x[u] + d * step * width, problem.lower[u], problem.upper[u]);
    }
    step *= options.decay;
  }
  return best;
}

}  // namespace bf
