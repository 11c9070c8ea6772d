#include "kernels/fold_rounding.h"

#include "kernels/op_eval.h"

namespace bf {
namespace {

// Ops whose result is one of their operands' values (or its negation, or a
// comparison's winner).
bool never_rounds(OpKind op) {
  switch (op) {
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Transpose:
    case OpKind::Concat:
    case OpKind::Slice:
    case OpKind::Gather:
    case OpKind::Identity:
    case OpKind::Dropout:
    case OpKind::Pad:
    case OpKind::Neg:
    case OpKind::Relu:
    case OpKind::Clip:
    case OpKind::MaxPool:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool fold_may_round(const Node& node, const std::vector<Tensor>& inputs, const std::vector<Tensor>& results) {
  bool floating = false;
  for (const Tensor& r : results) floating = floating || is_floating(r.dtype());
  if (!floating || never_rounds(node.op)) return false;
  if (node.op != OpKind::Mul) return true;
  // A product of two f32 values is exact in f64.
  std::vector<Tensor> wide;
  for (const Tensor& t : inputs) {
    if (!t.defined() || t.dtype() != DType::F32) return true;
    wide.push_back(t.cast(DType::F64));
  }
  const std::vector<Tensor> exact = eval_node(node, wide);
  return exact.at(0).to_double_vector() != results.at(0).to_double_vector();
}

}  // namespace bf
