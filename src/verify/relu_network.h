// A network of affine layers and ReLUs in dense form: what MIP refinement
// (verify/mip_refine.h) encodes and PGD inside a ReLU-split subdomain
// (verify/domain_attack.h) runs on. Bounds never come from it: branch and
// bound bounds through the planned program (methods/branch_bounds.h). z_k = W_k h_k + b_k, h_{k+1} = relu(z_k),
// h_0 = x, and the case's spec C folded into the last layer (its rows are the
// spec's rows). Extracted from the normalised graph: the nodes between two
// ReLUs (or the input and the first ReLU, the last ReLU and the output) must
// be affine in the one activation they start from (every op whose linear
// rule, bound/linear/linear_rules.h, needs no relaxation); each such segment
// is evaluated in f64 on the zero input and on every unit vector, which gives
// its bias and the columns of its matrix, whatever ops (Conv, Gemm, BatchNorm,
// Flatten, Pad, AveragePool, ...) it is made of.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "verify/case_problem.h"

namespace bf {

struct DenseLayer {
  std::int64_t in = 0, out = 0;
  std::vector<float> w;  // out x in, row-major
  std::vector<float> b;  // out
  // How far w and b may be from the segment's exact map (its ops composed in
  // real arithmetic on the graph's constants, the spec folded in exactly):
  // |W_ji - w_ji| <= dev_w[j] for every i, |b_j - b[j]| <= dev_b[j]. Zero where
  // the segment is one layer whose weights w holds as they are (sound
  // floating point charges these: docs/soundness.md).
  std::vector<double> dev_w, dev_b;
};

struct ReluNetwork {
  std::vector<DenseLayer> layers;             // a ReLU after every layer but the last
  std::vector<std::string> relu_input_names;  // the graph's value of each z_k, k < layers - 1
  std::int64_t inputs() const { return layers.front().in; }
  std::int64_t relu_layers() const { return static_cast<std::int64_t>(layers.size()) - 1; }
  std::int64_t neurons(std::int64_t k) const { return layers[static_cast<std::size_t>(k)].out; }
};

// Throws bf::Error(Unsupported) naming the first node that does not fit the
// form (a non-ReLU activation, MaxPool, a skip connection across a ReLU, an
// activation-by-activation product, more than one input or output).
ReluNetwork extract_relu_network(const Graph& graph, const CaseProblem& problem);

// The spec rows C y(x) at a point, in f64 through the dense layers.
std::vector<double> dense_rows_at(const ReluNetwork& net, const double* x);
// z_k(x), the input of layer k's ReLU (k = layers - 1: the spec rows), in f64.
std::vector<double> dense_layer_at(const ReluNetwork& net, const double* x, std::int64_t k);

}  // namespace bf
