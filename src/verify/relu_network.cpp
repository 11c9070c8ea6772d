#include "verify/relu_network.h"

#include <algorithm>
#include <map>

#include "bound/linear/linear_rules.h"
#include "bound/rounding/rounding.h"
#include "bound/rounding/rounding_account.h"
#include "bound/rounding/rounding_rules.h"
#include "runtime/forward_executor.h"
#include "support/error.h"

namespace bf {

namespace {

constexpr const char* kForm = "relu split needs a chain of affine layers and ReLUs";

// The nodes of one affine segment: from `source` (the graph input or a ReLU's
// output) to `target` (a ReLU's input or the graph output).
struct Segment {
  ValueId source = kNoValue, target = kNoValue;
  std::vector<NodeId> nodes;
};

std::vector<Segment> segments_of(const Graph& g) {
  BF_CHECK(g.inputs().size() == 1 && g.outputs().size() == 1, ErrorKind::Unsupported,
           "{}: the network must have one input and one output", kForm);
  std::map<ValueId, std::int64_t> layer_of;  // activation value -> segment it belongs to
  std::vector<Segment> segs(1);
  segs[0].source = g.inputs()[0];
  layer_of[g.inputs()[0]] = 0;
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    const Node& n = g.node(id);
    const auto cur = static_cast<std::int64_t>(segs.size()) - 1;
    std::vector<ValueId> acts;
    for (ValueId v : n.inputs) {
      if (v == kNoValue || g.is_constant(v)) continue;
      auto it = layer_of.find(v);
      BF_CHECK(it != layer_of.end(), ErrorKind::Unsupported, "{}: node {} reads a value of unknown origin", kForm,
               n.name);
      BF_CHECK(it->second == cur, ErrorKind::Unsupported,
               "{}: node {} ({}) reads a value from before the last ReLU (a skip connection)", kForm, n.name,
               op_name(n.op));
      acts.push_back(v);
    }
    if (n.op == OpKind::Relu) {
      BF_CHECK(acts.size() == 1 && !g.is_output(n.inputs[0]), ErrorKind::Unsupported, "{}: ReLU {} has no affine input",
               kForm, n.name);
      segs.back().target = n.inputs[0];
      segs.push_back(Segment{n.outputs[0], kNoValue, {}});
      layer_of[n.outputs[0]] = cur + 1;
      continue;
    }
    const LinearRule& rule = linear_rule(n.op);
    BF_CHECK(rule.backward != nullptr && rule.relax == RelaxKind::None, ErrorKind::Unsupported,
             "{}: node {} is {}, not affine", kForm, n.name, op_name(n.op));
    if (auto why = linear_unsupported(g, n)) fail(ErrorKind::Unsupported, "{}: node {}: {}", kForm, n.name, *why);
    BF_CHECK(
        acts.size() == 1 || ((n.op == OpKind::Add || n.op == OpKind::Sub || n.op == OpKind::Concat) && !acts.empty()),
        ErrorKind::Unsupported, "{}: node {} ({}) is not affine in its activations", kForm, n.name, op_name(n.op));
    segs.back().nodes.push_back(id);
    for (ValueId v : n.outputs) layer_of[v] = cur;
  }
  const ValueId out = g.outputs()[0];
  BF_CHECK(layer_of.count(out) != 0 && layer_of.at(out) == static_cast<std::int64_t>(segs.size()) - 1,
           ErrorKind::Unsupported, "{}: the output must follow the last ReLU through affine ops", kForm);
  segs.back().target = out;
  BF_CHECK(segs.size() >= 2, ErrorKind::Unsupported, "{}: the network has no ReLU", kForm);
  return segs;
}

// The segment as a graph of its own: one input (the source), one output.
Graph segment_graph(const Graph& g, const Segment& s) {
  Graph sub;
  sub.name = g.name + "/segment";
  std::map<ValueId, ValueId> map;
  map[s.source] = sub.add_input(g.value(s.source).name, g.type(s.source));
  for (NodeId id : s.nodes) {
    Node n = g.node(id);
    for (ValueId& v : n.inputs) {
      if (v == kNoValue) continue;
      if (map.count(v) == 0) {
        BF_CHECK(g.is_constant(v), ErrorKind::Internal, "segment operand {} is neither computed nor constant",
                 g.value(v).name);
        map[v] = sub.add_constant(g.value(v).name, g.constant(v));
      }
      v = map.at(v);
    }
    for (ValueId& v : n.outputs) v = map[v] = sub.add_value(g.value(v).name, g.type(v));
    sub.add_node(std::move(n));
  }
  BF_CHECK(map.count(s.target) != 0, ErrorKind::Unsupported, "{}: a ReLU directly follows a ReLU", kForm);
  sub.add_output(map.at(s.target));
  return sub;
}

// W and b of one segment in f64: y(0) and y(e_i) - y(0), a chunk of unit vectors per run.
void affine_of(const Graph& sub, std::int64_t in, std::int64_t out, std::vector<double>& w, std::vector<double>& b) {
  w.assign(static_cast<std::size_t>(in * out), 0.0);
  ForwardOptions fo;
  fo.compute = DType::F64;
  {
    fo.batch = 1;
    Tensor zero(DType::F64, {in});
    std::fill(zero.mutable_data<double>(), zero.mutable_data<double>() + in, 0.0);
    b = run_forward(sub, {zero}, fo)[0].to_double_vector();
  }
  const std::int64_t chunk =
      std::max<std::int64_t>(1, std::min<std::int64_t>(in, (std::int64_t{1} << 24) / (in + out)));
  for (std::int64_t first = 0; first < in; first += chunk) {
    const std::int64_t count = std::min(chunk, in - first);
    Tensor basis(DType::F64, {count, in});
    double* p = basis.mutable_data<double>();
    std::fill(p, p + count * in, 0.0);
    for (std::int64_t c = 0; c < count; ++c) p[c * in + first + c] = 1.0;
    fo.batch = count;
    const std::vector<double> y = run_forward(sub, {basis}, fo)[0].to_double_vector();
    for (std::int64_t c = 0; c < count; ++c) {
      for (std::int64_t o = 0; o < out; ++o) {
        w[static_cast<std::size_t>(o * in + first + c)] =
            y[static_cast<std::size_t>(c * out + o)] - b[static_cast<std::size_t>(o)];
      }
    }
  }
}

// How far the segment's f64 evaluation can be from exact, for inputs of
// magnitude at most 1 (the unit vectors and zero affine_of evaluates): gamma
// times R, the rounding account's bound of what the evaluation sums in
// absolute value (bound/rounding/rounding_account.h), per output.
struct SegmentError {
  double gamma = 0.0;
  std::vector<double> r;
};

SegmentError segment_error(const Graph& sub) {
  const ValueId x = sub.inputs()[0];
  const std::int64_t n_in = sub.type(x).numel();
  std::vector<double> minus(static_cast<std::size_t>(n_in), -1.0), plus(static_cast<std::size_t>(n_in), 1.0);
  std::map<ValueId, std::vector<double>> account;  // R and B planes ([numel + 1] each) by value
  std::map<ValueId, Tensor> constants;
  AbsWeightCache abs;
  std::int64_t terms = 0;
  for (const Node& node : sub.nodes()) {
    std::vector<AccountOperand> ops(node.inputs.size());
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId v = node.inputs[i];
      AccountOperand& o = ops[i];
      o.ibp.present = v != kNoValue;
      if (v == kNoValue) continue;
      if (sub.is_constant(v)) {
        const Tensor& t = sub.constant(v);
        auto it = constants.try_emplace(v, is_floating(t.dtype()) ? t.cast(DType::F64) : t).first;
        o.ibp.is_constant = true;
        o.ibp.constant = &it->second;
        o.ibp.shape = &it->second.shape();
        continue;
      }
      o.ibp.shape = &sub.type(v).shape;
      if (v == x) {
        o.ibp.bounds = {minus.data(), plus.data()};
      } else {
        o.magnitude = account.at(v).data();
      }
    }
    const ValueId y = node.outputs[0];
    std::vector<double>& planes = account[y];
    planes.assign(static_cast<std::size_t>(2 * (sub.type(y).numel() + 1)), 0.0);
    AccountArgs args{node, sub, ops, sub.type(y).shape, DType::F64, 1, RelaxView{}, IntervalOut{}, planes.data()};
    std::vector<char> scratch(static_cast<std::size_t>(account_scratch_bytes(args)) + 64);
    void* base = scratch.data();
    std::size_t space = scratch.size();
    account_node(args, abs, std::align(64, 1, base, space), static_cast<std::int64_t>(space));
    terms += std::max<std::int64_t>(1, rounding_terms(sub, node).ibp);
  }
  SegmentError e;
  e.gamma = rounding_gamma(terms + 4, DType::F64);
  const ValueId out = sub.outputs()[0];
  const std::int64_t n_out = sub.type(out).numel();
  if (out == x) {
    e.r.assign(static_cast<std::size_t>(n_out), 1.0);
  } else {
    const std::vector<double>& planes = account.at(out);
    e.r.assign(planes.begin(), planes.begin() + n_out);
  }
  return e;
}

// w, b of a segment in f64 and how far each output's row and bias may be from
// the exact map (`dev_w`, `dev_b`), stored in f32: the f32 rounding adds to
// the deviations, exactly (a double minus its nearest float is exact).
DenseLayer dense_layer(std::int64_t in, std::int64_t out, const std::vector<double>& w, const std::vector<double>& b,
                       const std::vector<double>& dev_w, const std::vector<double>& dev_b) {
  DenseLayer l;
  l.in = in;
  l.out = out;
  l.w.assign(w.begin(), w.end());
  l.b.assign(b.begin(), b.end());
  l.dev_w.assign(static_cast<std::size_t>(out), 0.0);
  l.dev_b.assign(static_cast<std::size_t>(out), 0.0);
  for (std::int64_t o = 0; o < out; ++o) {
    const auto ko = static_cast<std::size_t>(o);
    double worst = 0.0;
    for (std::int64_t i = 0; i < in; ++i) {
      const auto k = static_cast<std::size_t>(o * in + i);
      worst = std::max(worst, std::fabs(w[k] - static_cast<double>(l.w[k])));
    }
    l.dev_w[ko] = (worst + dev_w[ko]) * (1.0 + 0x1p-40);
    l.dev_b[ko] = (std::fabs(b[ko] - static_cast<double>(l.b[ko])) + dev_b[ko]) * (1.0 + 0x1p-40);
  }
  return l;
}

}  // namespace

ReluNetwork extract_relu_network(const Graph& graph, const CaseProblem& problem) {
  const std::vector<Segment> segs = segments_of(graph);
  ReluNetwork net;
  for (std::size_t k = 0; k < segs.size(); ++k) {
    const Segment& s = segs[k];
    const std::int64_t in = graph.type(s.source).numel(), out = graph.type(s.target).numel();
    std::vector<double> w, b;
    const Graph sub = segment_graph(graph, s);
    affine_of(sub, in, out, w, b);
    // How far w and b (f64) are from the exact map: the evaluation's error at
    // y(e_i) and y(0), and the subtraction's rounding.
    const SegmentError err = segment_error(sub);
    std::vector<double> dev_w(static_cast<std::size_t>(out)), dev_b(static_cast<std::size_t>(out));
    for (std::int64_t o = 0; o < out; ++o) {
      const auto ko = static_cast<std::size_t>(o);
      double wmax = 0.0;
      for (std::int64_t i = 0; i < in; ++i) wmax = std::max(wmax, std::fabs(w[static_cast<std::size_t>(o * in + i)]));
      dev_w[ko] = (2.0 * err.gamma * err.r[ko] + 0x1p-53 * wmax) * (1.0 + 0x1p-40);
      dev_b[ko] = err.gamma * err.r[ko] * (1.0 + 0x1p-40);
    }
    if (k + 1 == segs.size()) {
      // Fold the spec: C W and C b, in f64.
      BF_CHECK(out == problem.num_outputs, ErrorKind::Shape, "the property has {} outputs, the network {}",
               problem.num_outputs, out);
      const std::int64_t rows = problem.num_rows();
      std::vector<double> cw(static_cast<std::size_t>(rows * in), 0.0), cb(static_cast<std::size_t>(rows), 0.0);
      std::vector<double> cw_abs(static_cast<std::size_t>(rows * in), 0.0);  // sum_o |c_o w_oi|
      std::vector<double> cdev_w(static_cast<std::size_t>(rows), 0.0), cdev_b(static_cast<std::size_t>(rows), 0.0);
      const double g = rounding_gamma(out + 1, DType::F64);
      for (std::int64_t r = 0; r < rows; ++r) {
        const auto& c = problem.rows[static_cast<std::size_t>(r)];
        const auto kr = static_cast<std::size_t>(r);
        double cb_abs = 0.0;
        for (std::int64_t o = 0; o < out; ++o) {
          const double co = c[static_cast<std::size_t>(o)];
          if (co == 0.0) continue;
          cb[kr] += co * b[static_cast<std::size_t>(o)];
          cb_abs += std::fabs(co * b[static_cast<std::size_t>(o)]);
          cdev_w[kr] += std::fabs(co) * dev_w[static_cast<std::size_t>(o)];
          cdev_b[kr] += std::fabs(co) * dev_b[static_cast<std::size_t>(o)];
          for (std::int64_t i = 0; i < in; ++i) {
            const double t = co * w[static_cast<std::size_t>(o * in + i)];
            cw[static_cast<std::size_t>(r * in + i)] += t;
            cw_abs[static_cast<std::size_t>(r * in + i)] += std::fabs(t);
          }
        }
        // The folding's own rounding (products and sums in f64) on top of w's and b's deviations.
        double worst = 0.0;
        for (std::int64_t i = 0; i < in; ++i) worst = std::max(worst, cw_abs[static_cast<std::size_t>(r * in + i)]);
        cdev_w[kr] = (cdev_w[kr] + g * worst) * (1.0 + 0x1p-40);
        cdev_b[kr] = (cdev_b[kr] + g * cb_abs) * (1.0 + 0x1p-40);
      }
      net.layers.push_back(dense_layer(in, rows, cw, cb, cdev_w, cdev_b));
    } else {
      net.layers.push_back(dense_layer(in, out, w, b, dev_w, dev_b));
      net.relu_input_names.push_back(graph.value(s.target).name);
    }
  }
  return net;
}

std::vector<double> dense_layer_at(const ReluNetwork& net, const double* x, std::int64_t k) {
  std::vector<double> h(x, x + net.inputs()), z;
  for (std::int64_t layer = 0; layer <= k; ++layer) {
    const DenseLayer& l = net.layers[static_cast<std::size_t>(layer)];
    z.assign(static_cast<std::size_t>(l.out), 0.0);
    for (std::int64_t o = 0; o < l.out; ++o) {
      double s = l.b[static_cast<std::size_t>(o)];
      const float* row = l.w.data() + o * l.in;
      for (std::int64_t i = 0; i < l.in; ++i) s += static_cast<double>(row[i]) * h[static_cast<std::size_t>(i)];
      z[static_cast<std::size_t>(o)] = layer < k ? std::max(s, 0.0) : s;
    }
    h.swap(z);
  }
  return h;
}

std::vector<double> dense_rows_at(const ReluNetwork& net, const double* x) {
  return dense_layer_at(net, x, static_cast<std::int64_t>(net.layers.size()) - 1);
}

}  // namespace bf
