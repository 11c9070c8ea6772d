// alpha-CROWN's gradients: the adjoint of a backward sweep.
//
// For fixed line choices a sweep's row bound is linear, and equals the value
// of the relaxed network (each nonlinear node replaced by the line its row
// picked) at the input corner the row's A points to: the lower side's bound is
// that network's value at x* with x*_k = xl_k where A_k >= 0 and xu_k
// elsewhere, and the upper side's mirrored. So the gradient of a row's bound by
// the parameter p of a line at element e of node n is
//     G_e * (d slope / dp * z_e + d icpt / dp)
// where G is the row's A at n's output (the bound's derivative by that
// output) and z the relaxed network's value at n's input: one forward pass of
// the rows (their "dual" values D) through the relaxed network, from x* up.
// Linear nodes map D as the primal op maps values (with its constants);
// relaxed nodes apply the line the row picked.
//
// D buffers are laid out like the A buffers of the same value and sweep
// (linear_view.h), windows included: a window holds every input a position of
// the output windows above it reads (positions outside the image are the
// convolution's zero padding).
#pragma once

#include <span>

#include "bound/linear/linear_view.h"
#include "ir/graph.h"
#include "tensor/tensor.h"

namespace bf {

struct DualArgs {
  const Node& node;
  const SweepChunk& chunk;
  DType dtype;
  std::span<const LinearView> in;            // D of each operand (lower/upper null for constants)
  std::span<const Tensor* const> constants;  // per operand: the constant in the plan dtype (null otherwise)
  std::span<const Shape* const> shapes;      // per operand: per-sample shape (null when absent)
  const LinearView& out;                     // D of the output: written
  const LinearView* coeff = nullptr;         // relaxed nodes: A at the output (the rows' line choices)
  RelaxView relax = {};                      // relaxed nodes: CROWN's lines
  AlphaView alpha = {};                      // nodes with optimised lines: the parameters
  AlphaView grad = {};                       // ... and where their gradients go (every entry written)
  IntervalView input = {};                   // ... and the interval of the node's input
};

using DualRule = void (*)(const DualArgs&);

void dual_linear(const DualArgs& a);    // every linear op: the primal op on the rows' D
void dual_relaxed(const DualArgs& a);   // Relu LeakyRelu Sigmoid Tanh Clip
void dual_max_pool(const DualArgs& a);  // MaxPool

// D at the graph input: each row's corner of the input box (per sample).
void dual_seed(const SweepChunk& chunk, DType dtype, const LinearView& a_input, IntervalView box,
               const LinearView& d_input);

}  // namespace bf
