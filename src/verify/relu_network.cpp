#include "verify/relu_network.h"

#include <algorithm>
#include <map>

#include "bound/linear/linear_rules.h"
#include "kernels/rowwise_gemm.h"
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

DenseLayer dense_layer(std::int64_t in, std::int64_t out, const std::vector<double>& w, const std::vector<double>& b) {
  DenseLayer l;
  l.in = in;
  l.out = out;
  l.w.assign(w.begin(), w.end());
  l.b.assign(b.begin(), b.end());
  std::vector<float> wt(static_cast<std::size_t>(in * out));
  for (std::int64_t o = 0; o < out; ++o) {
    for (std::int64_t i = 0; i < in; ++i)
      wt[static_cast<std::size_t>(i * out + o)] = l.w[static_cast<std::size_t>(o * in + i)];
  }
  l.packed_w.resize(static_cast<std::size_t>(packed_b_floats(out, in)));
  pack_b(l.w.data(), in, out, in, nullptr, l.packed_w.data());
  l.packed_wt.resize(static_cast<std::size_t>(packed_b_floats(in, out)));
  pack_b(wt.data(), out, in, out, nullptr, l.packed_wt.data());
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
    affine_of(segment_graph(graph, s), in, out, w, b);
    if (k + 1 == segs.size()) {
      // Fold the spec: C W and C b, in f64.
      BF_CHECK(out == problem.num_outputs, ErrorKind::Shape, "the property has {} outputs, the network {}",
               problem.num_outputs, out);
      const std::int64_t rows = problem.num_rows();
      std::vector<double> cw(static_cast<std::size_t>(rows * in), 0.0), cb(static_cast<std::size_t>(rows), 0.0);
      for (std::int64_t r = 0; r < rows; ++r) {
        const auto& c = problem.rows[static_cast<std::size_t>(r)];
        for (std::int64_t o = 0; o < out; ++o) {
          const double co = c[static_cast<std::size_t>(o)];
          if (co == 0.0) continue;
          cb[static_cast<std::size_t>(r)] += co * b[static_cast<std::size_t>(o)];
          for (std::int64_t i = 0; i < in; ++i)
            cw[static_cast<std::size_t>(r * in + i)] += co * w[static_cast<std::size_t>(o * in + i)];
        }
      }
      net.layers.push_back(dense_layer(in, rows, cw, cb));
    } else {
      net.layers.push_back(dense_layer(in, out, w, b));
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
