// CROWN's backward step for one primal op: given the linear bounds of the op's
// output for a chunk of rows (lower A and upper A), the linear bounds of its
// activation operands, plus the constant terms the op adds to the rows' bias:
//
//   lower:  sum_k lA[k] * y[k] >= sum_i lA_i . x_i + lower bias
//   upper:  sum_k uA[k] * y[k] <= sum_i uA_i . x_i + upper bias
//
// Linear ops are exact (A_in = A_out J, with the op's Jacobian J). Nonlinear
// ops use their linear relaxation (relaxation.h), chosen per element by the
// sign of A: a positive coefficient of the lower side takes the lower line, a
// negative one the upper line, and the other way round for the upper side.
//
// These are the reference rules: plain loops over flat element indices, f32 and
// f64, for dense rows and spatial windows alike. They define what the compiled
// executor's fast kernels must reproduce.
#pragma once

#include <span>

#include "bound/linear/linear_view.h"
#include "ir/graph.h"

namespace bf {

struct BackwardArgs {
  const Node& node;
  const SweepChunk& chunk;
  DType dtype;
  const LinearView& out;                     // A of the node's output
  std::span<const LinearTarget> in;          // one per node operand
  std::span<const Tensor* const> constants;  // per operand: the constant in the plan dtype (null otherwise)
  std::span<const Shape* const> shapes;      // per operand: per-sample shape (null when absent)
  const BiasView& bias;                      // added to
  RelaxView relax;                           // nonlinear nodes: the relaxation of the input
  AlphaView alpha = {};                      // alpha-CROWN: the node's parameters (written back clamped)
  IntervalView input = {};                   // ... and the interval of its input they need
  bool sound = false;                        // alpha-CROWN: lines made sound (relaxation.h)
};

using BackwardRule = void (*)(const BackwardArgs&);

// The rule families (one file each); the table in op_rules.cpp picks one per op.
void backward_affine(const BackwardArgs& a);               // Affine
void backward_gemm(const BackwardArgs& a);                 // Gemm
void backward_matmul(const BackwardArgs& a);               // MatMul with one constant operand
void backward_conv(const BackwardArgs& a);                 // Conv
void backward_conv_transpose(const BackwardArgs& a);       // ConvTranspose
void backward_add_sub(const BackwardArgs& a);              // Add, Sub
void backward_mul_div(const BackwardArgs& a);              // Mul, Div by a constant
void backward_neg(const BackwardArgs& a);                  // Neg
void backward_scale_shift(const BackwardArgs& a);          // ScaleShift
void backward_batch_norm(const BackwardArgs& a);           // BatchNormalization
void backward_relaxed(const BackwardArgs& a);              // Relu LeakyRelu Sigmoid Tanh Clip (elementwise relaxation)
void backward_max_pool(const BackwardArgs& a);             // MaxPool (relaxation from relaxation.h)
void backward_average_pool(const BackwardArgs& a);         // AveragePool
void backward_global_average_pool(const BackwardArgs& a);  // GlobalAveragePool
void backward_movement(const BackwardArgs& a);             // Flatten Reshape Squeeze Unsqueeze Identity Dropout
                                                           // Transpose Slice Gather Concat Pad
void backward_reduce(const BackwardArgs& a);               // ReduceMean ReduceSum

// Overwrites the A of every active, non-accumulating target with zeros (the
// sides the chunk computes), so that rules can always add.
void prepare_targets(const BackwardArgs& a);

}  // namespace bf
