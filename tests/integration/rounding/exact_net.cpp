#include "exact_net.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tensor/tensor.h"

namespace bf::test {
namespace {

// An affine function of x: c + sum_i g[i] x_i, exactly.
struct Form {
  std::vector<Dyadic> g;
  Dyadic c;
};

Dyadic form_min(const Form& f, const std::vector<Dyadic>& lo, const std::vector<Dyadic>& hi) {
  Dyadic s = f.c;
  for (std::size_t i = 0; i < f.g.size(); ++i) {
    if (f.g[i].sign() > 0)
      s += f.g[i] * lo[i];
    else if (f.g[i].sign() < 0)
      s += f.g[i] * hi[i];
  }
  return s;
}

Dyadic form_max(const Form& f, const std::vector<Dyadic>& lo, const std::vector<Dyadic>& hi) {
  Dyadic s = f.c;
  for (std::size_t i = 0; i < f.g.size(); ++i) {
    if (f.g[i].sign() > 0)
      s += f.g[i] * hi[i];
    else if (f.g[i].sign() < 0)
      s += f.g[i] * lo[i];
  }
  return s;
}

Dyadic relu(const Dyadic& v) { return v.sign() > 0 ? v : Dyadic(); }

}  // namespace

std::shared_ptr<Graph> ExactNet::graph() const {
  auto g = std::make_shared<Graph>();
  ValueId x = g->add_input("x", {DType::F32, {1, n}});
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const DenseLayer& L = layers[l];
    Tensor wt(DType::F32, {L.out, L.in}), bt(DType::F32, {L.out});
    std::copy(L.w.begin(), L.w.end(), wt.mutable_data<float>());
    std::copy(L.b.begin(), L.b.end(), bt.mutable_data<float>());
    const std::string tag = std::to_string(l);
    const ValueId wv = g->add_constant("w" + tag, wt);
    const ValueId bv = g->add_constant("b" + tag, bt);
    const bool last = l + 1 == layers.size();
    x = g->add_inferred_node(OpKind::Affine, "fc" + tag, {}, {x, wv, bv}, {last ? "y" : "h" + tag})[0];
    if (L.relu) x = g->add_inferred_node(OpKind::Relu, "relu" + tag, {}, {x}, {"r" + tag})[0];
  }
  g->add_output(x);
  return g;
}

namespace {

std::vector<Dyadic> affine(const DenseLayer& L, const std::vector<Dyadic>& h) {
  std::vector<Dyadic> next(static_cast<std::size_t>(L.out));
  for (std::int64_t o = 0; o < L.out; ++o) {
    Dyadic s = Dyadic::of_float(L.b[static_cast<std::size_t>(o)]);
    for (std::int64_t i = 0; i < L.in; ++i) {
      const float w = L.w[static_cast<std::size_t>(o * L.in + i)];
      if (w != 0.0f && !h[static_cast<std::size_t>(i)].is_zero())
        s += Dyadic::of_float(w) * h[static_cast<std::size_t>(i)];
    }
    next[static_cast<std::size_t>(o)] = std::move(s);
  }
  return next;
}

}  // namespace

std::vector<Dyadic> exact_first_layer(const ExactNet& net, const std::vector<double>& x) {
  std::vector<Dyadic> h;
  h.reserve(x.size());
  for (double v : x) h.emplace_back(v);
  return affine(net.layers.at(0), h);
}

std::vector<Dyadic> exact_forward_rest(const ExactNet& net, std::vector<Dyadic> h) {
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    if (l > 0) h = affine(net.layers[l], h);
    if (net.layers[l].relu)
      for (Dyadic& v : h) v = relu(v);
  }
  return h;
}

std::vector<Dyadic> exact_forward(const ExactNet& net, const std::vector<double>& x) {
  return exact_forward_rest(net, exact_first_layer(net, x));
}

std::vector<float> f32_forward(const ExactNet& net, const std::vector<double>& x) {
  std::vector<float> h(x.begin(), x.end());
  for (const DenseLayer& L : net.layers) {
    std::vector<float> next(static_cast<std::size_t>(L.out));
    for (std::int64_t o = 0; o < L.out; ++o) {
      float s = 0.0f;
      for (std::int64_t i = 0; i < L.in; ++i)
        s += L.w[static_cast<std::size_t>(o * L.in + i)] * h[static_cast<std::size_t>(i)];
      s += L.b[static_cast<std::size_t>(o)];
      next[static_cast<std::size_t>(o)] = L.relu ? std::max(0.0f, s) : s;
    }
    h = std::move(next);
  }
  return h;
}

std::vector<double> f64_forward(const ExactNet& net, const std::vector<double>& x) {
  std::vector<double> h = x;
  for (const DenseLayer& L : net.layers) {
    std::vector<double> next(static_cast<std::size_t>(L.out));
    for (std::int64_t o = 0; o < L.out; ++o) {
      double s = 0.0;
      for (std::int64_t i = 0; i < L.in; ++i)
        s += double(L.w[static_cast<std::size_t>(o * L.in + i)]) * h[static_cast<std::size_t>(i)];
      s += L.b[static_cast<std::size_t>(o)];
      next[static_cast<std::size_t>(o)] = L.relu ? std::max(0.0, s) : s;
    }
    h = std::move(next);
  }
  return h;
}

ExactAnalysis analyse_y0(const ExactNet& net) {
  const auto n = static_cast<std::size_t>(net.n);
  if (net.layers.empty() || net.layers.back().relu)
    throw std::runtime_error(net.name + ": the last layer must be affine");
  std::vector<Dyadic> lo, hi;
  for (std::size_t i = 0; i < n; ++i) {
    lo.push_back(Dyadic::of_float(net.lower[i]));
    hi.push_back(Dyadic::of_float(net.upper[i]));
    if (!(lo[i] < hi[i])) throw std::runtime_error(net.name + ": empty or degenerate box");
  }
  ExactAnalysis a;
  bool have_margin = false;
  // The post-activations of the current layer as exact affine forms of x.
  std::vector<Form> post(n);
  for (std::size_t i = 0; i < n; ++i) {
    post[i].g.assign(n, Dyadic());
    post[i].g[i] = Dyadic(1.0);
  }
  // Unstable units of the last hidden layer: (output weight c >= 0, coordinate, a, b): c relu(a x_i + b).
  struct Hinge {
    Dyadic c;
    std::size_t i;
    Dyadic a, b;
  };
  std::vector<Hinge> hinges;
  for (std::size_t l = 0; l + 1 < net.layers.size(); ++l) {
    const DenseLayer& L = net.layers[l];
    if (!L.relu) throw std::runtime_error(net.name + ": hidden layers must end in Relu");
    const bool last_hidden = l + 2 == net.layers.size();
    const DenseLayer& out = net.layers.back();
    std::vector<Form> next(static_cast<std::size_t>(L.out));
    for (std::int64_t o = 0; o < L.out; ++o) {
      Form f;
      f.g.assign(n, Dyadic());
      f.c = Dyadic::of_float(L.b[static_cast<std::size_t>(o)]);
      for (std::int64_t j = 0; j < L.in; ++j) {
        const float w = L.w[static_cast<std::size_t>(o * L.in + j)];
        if (w == 0.0f) continue;
        const Dyadic wd = Dyadic::of_float(w);
        const Form& p = post[static_cast<std::size_t>(j)];
        for (std::size_t i = 0; i < n; ++i)
          if (!p.g[i].is_zero()) f.g[i] += wd * p.g[i];
        if (!p.c.is_zero()) f.c += wd * p.c;
      }
      const Dyadic mn = form_min(f, lo, hi), mx = form_max(f, lo, hi);
      const std::string unit = net.name + " layer " + std::to_string(l) + " unit " + std::to_string(o);
      if (mn.sign() > 0) {
        ++a.active;
        if (!have_margin || mn < a.min_active_margin) a.min_active_margin = mn;
        have_margin = true;
        a.largest_preactivation =
            std::max({a.largest_preactivation, std::fabs(mn.to_double()), std::fabs(mx.to_double())});
        next[static_cast<std::size_t>(o)] = std::move(f);
      } else if (mx.sign() <= 0) {
        ++a.inactive;
        a.largest_preactivation =
            std::max({a.largest_preactivation, std::fabs(mn.to_double()), std::fabs(mx.to_double())});
        next[static_cast<std::size_t>(o)].g.assign(n, Dyadic());
      } else {
        ++a.unstable;
        if (!last_hidden) throw std::runtime_error(unit + ": unstable before the last hidden layer");
        std::size_t coord = n;
        for (std::size_t i = 0; i < n; ++i) {
          if (f.g[i].is_zero()) continue;
          if (coord != n) throw std::runtime_error(unit + ": unstable and depends on several inputs");
          coord = i;
        }
        const Dyadic c = Dyadic::of_float(out.w[static_cast<std::size_t>(o)]);  // row 0: y0
        // A concave hinge's kink -b/a must be a dyadic rational: |a| a power of two.
        if (c.sign() < 0 && f.g[coord].bits() != 1)
          throw std::runtime_error(unit + ": unstable with a negative weight into y0 and a slope not a power of two");
        hinges.push_back({c, coord, f.g[coord], f.c});
        next[static_cast<std::size_t>(o)].g.assign(n, Dyadic());  // its contribution goes through `hinges`
        next[static_cast<std::size_t>(o)].c = Dyadic();
      }
    }
    post = std::move(next);
  }
  // y0 = const + g.x + sum of hinges.
  const DenseLayer& out = net.layers.back();
  Form y0;
  y0.g.assign(n, Dyadic());
  y0.c = Dyadic::of_float(out.b[0]);
  for (std::int64_t j = 0; j < out.in; ++j) {
    const float w = out.w[static_cast<std::size_t>(j)];
    if (w == 0.0f) continue;
    const Dyadic wd = Dyadic::of_float(w);
    const Form& p = post[static_cast<std::size_t>(j)];
    for (std::size_t i = 0; i < n; ++i)
      if (!p.g[i].is_zero()) y0.g[i] += wd * p.g[i];
    if (!p.c.is_zero()) y0.c += wd * p.c;
  }
  std::vector<std::vector<const Hinge*>> by_coord(n);
  for (const Hinge& h : hinges) by_coord[h.i].push_back(&h);
  a.max = y0.c;
  a.min = y0.c;
  a.argmax.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto f = [&](const Dyadic& v) {
      Dyadic s = y0.g[i] * v;
      for (const Hinge* h : by_coord[i]) s += h->c * relu(h->a * v + h->b);
      return s;
    };
    // f is piecewise linear on [l_i, u_i]: its maximum is at an end or at a
    // kink where the slope decreases, i.e. the kink of a concave hinge (c < 0).
    std::vector<Dyadic> candidates = {lo[i], hi[i]};
    for (const Hinge* h : by_coord[i]) {
      if (h->c.sign() >= 0) continue;
      const double inv = 1.0 / h->a.to_double();  // exact: |a| is a power of two
      const Dyadic kink = -(h->b * Dyadic(inv));
      if (lo[i] < kink && kink < hi[i]) candidates.push_back(kink);
    }
    const Dyadic f_lo = f(lo[i]), f_hi = f(hi[i]);
    a.min += min(f_lo, f_hi);
    std::size_t best = 0;
    Dyadic best_value = f(candidates[0]);
    for (std::size_t k = 1; k < candidates.size(); ++k) {
      Dyadic v = f(candidates[k]);
      if (v > best_value) {
        best_value = std::move(v);
        best = k;
      }
    }
    a.max += best_value;
    a.argmax[i] = candidates[best].to_double();
    if (Dyadic(a.argmax[i]) != candidates[best]) throw std::runtime_error(net.name + ": argmax not a double");
  }
  return a;
}

}  // namespace bf::test
