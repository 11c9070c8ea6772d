// Reference semantics of every primal IR op: one entry point evaluates one node
// over a batch of samples. This is the single definition of what an op computes;
// the forward executor, import-time constant folding, the constant-folding pass
// and the interval (IBP) domain's monotone ops all call it.
//
// Batch convention: an activation holds `batch` samples back to back, each laid
// out C-order with the IR value's shape (the IR shape never includes the batch).
// A constant operand (weights, biases, Gather indices) is a single tensor shared by
// every sample. Outputs are always batched.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ir/graph.h"
#include "tensor/tensor.h"

namespace bf {

struct ConstOperand {
  const void* data = nullptr;  // null for an absent optional operand
  DType dtype = DType::F32;
  const Shape* shape = nullptr;  // per-sample shape
  bool batched = true;           // false: one tensor shared by all samples
};

struct MutOperand {
  void* data = nullptr;
  DType dtype = DType::F32;
  const Shape* shape = nullptr;  // per-sample shape
};

// Evaluates `node` for `batch` samples. The operand dtypes and shapes must be the
// node's IR types (validate() guarantees that for a validated graph). Float ops run
// in the operand dtype (f32 or f64); data-movement ops accept any dtype; arithmetic
// also runs on i64/i32 for shape-computing chains. Throws bf::Error(Unsupported)
// for a combination it cannot evaluate, never computes something else silently.
//
// Further guarantees: the operand and output types are checked against shape
// inference before any memory is touched (a mismatch throws bf::Error(Shape));
// errors carry the node's name and op; integer arithmetic reports overflow and
// division by zero instead of wrapping. Output buffers must not overlap inputs.
// In f32, Gemm, Affine, MatMul with a 2-D shared right operand, Conv and
// ConvTranspose run through oneDNN; everything else (and all of f64) is plain C++.
void eval_op(const Node& node, std::span<const ConstOperand> inputs, std::span<const MutOperand> outputs,
             std::int64_t batch);

// Convenience for folding: every input is an unbatched tensor (a constant) and the
// node is evaluated once. `inputs` has one entry per node operand, an undefined
// Tensor for an absent optional one. Returns one tensor per output with the IR
// output types computed by shape inference.
std::vector<Tensor> eval_node(const Node& node, const std::vector<Tensor>& inputs);

}  // namespace bf
