// The interval domain (IBP): for every primal IR op, how [lower, upper] bounds
// of its operands map to bounds of its result. Sound for every op: any concrete
// input inside the operand intervals gives a result inside the output interval
// (in exact arithmetic; computed in the operand dtype like auto_LiRPA, see
// docs/soundness.md).
//
//   affine in one operand (Gemm, MatMul, Affine, Conv, ConvTranspose):
//       centre-radius form, c' = f(c) (with bias), r' = |f|(r) (|W|, no bias);
//   BatchNormalization, ScaleShift: per-channel/per-element sign handling;
//   Add, Sub: interval sums; Mul, Div: the min/max of the bound products
//       (a divisor interval containing 0 gives (-inf, inf));
//   monotone ops (Relu, Sigmoid, Tanh, Clip, LeakyRelu with alpha >= 0, pooling,
//       reductions, every data-movement op): the primal op applied to each bound;
//   Neg, LeakyRelu with alpha < 0, Softmax: dedicated formulas;
//   MatMul of two activations: interval matrix product in centre-radius form.
// Primal arithmetic comes from bf::eval_op, the single definition of each op.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <tuple>

#include "ir/graph.h"
#include "kernels/op_eval.h"

namespace bf {

// An activation's bounds: `batch` samples of `shape` in each plane.
struct IntervalIn {
  const void* lower = nullptr;
  const void* upper = nullptr;
};
struct IntervalOut {
  void* lower = nullptr;
  void* upper = nullptr;
};

// One operand of an interval op: either an activation's bounds or a constant.
struct IbpOperand {
  bool is_constant = false;
  IntervalIn bounds;                 // when !is_constant
  const Tensor* constant = nullptr;  // when is_constant
  const Shape* shape = nullptr;      // per-sample shape (the constant's own shape for constants)
  bool present = true;               // false for an absent optional operand
};

// |W| for each constant weight, computed once and kept for the life of a plan
// ("prepared once per plan"), keyed by the constant's storage, dtype and shape
// (reshaped views share storage).
class AbsWeightCache {
 public:
  const Tensor& abs_of(const Tensor& weight);
  std::int64_t bytes() const;
  std::size_t size() const { return cache_.size(); }

 private:
  using Key = std::tuple<const void*, DType, Shape>;
  std::map<Key, Tensor> cache_;
};

// True when the rule for `node` is the primal op applied to the lower and to
// the upper planes: the op is non-decreasing in every activation operand
// (activations but LeakyRelu with alpha < 0, Add, pooling, reductions, Pad and
// every data-movement op).
bool ibp_rule_is_monotone(const Node& node);

// Temporaries for the rules that need them (centre/radius planes, candidate
// products), handed out by the caller so an executor can plan them: the
// reference executor allocates ibp_scratch_bytes() per op, the compiled one
// places it in its arena.
class IbpScratch {
 public:
  IbpScratch(void* base, std::int64_t capacity) : base_(static_cast<char*>(base)), capacity_(capacity) {}
  // 64-byte aligned; throws bf::Error(Internal) beyond the capacity (a rule
  // asking for more than ibp_scratch_bytes() promised is a bug).
  void* take(std::int64_t bytes);
  std::int64_t used() const { return used_; }

 private:
  char* base_;
  std::int64_t capacity_;
  std::int64_t used_ = 0;
};

// Scratch bytes ibp_eval_op takes for `node` with these operands (only their
// shapes and which are constants matter; bounds may be null).
std::int64_t ibp_scratch_bytes(const Node& node, std::span<const IbpOperand> inputs,
                               std::span<const Shape* const> output_shapes, DType dtype, std::int64_t batch);

// Whether the rule for `node` runs a oneDNN-backed primal op (Gemm, MatMul,
// Affine, Conv, ConvTranspose) through bf::eval_op, which creates primitives and
// allocates inside oneDNN on every call: memory no executor can plan statically.
bool ibp_rule_allocates_internally(const Node& node, DType dtype);

// Bounds of `node`'s outputs from bounds of its operands, for `batch` samples
// computed in `dtype` (f32 or f64; every interval plane and constant has it).
// Throws bf::Error(Unsupported) for a form with no sound rule here (e.g. a
// convolution whose weights are activations).
void ibp_eval_op(const Node& node, std::span<const IbpOperand> inputs, std::span<const IntervalOut> outputs,
                 std::span<const Shape* const> output_shapes, DType dtype, std::int64_t batch,
                 AbsWeightCache& abs_cache, IbpScratch& scratch);

}  // namespace bf
