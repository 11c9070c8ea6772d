#include "frontend/onnx/constant_folding.h"

#include "ir/shape_inference.h"
#include "kernels/fold_rounding.h"
#include "kernels/op_eval.h"
#include "support/error.h"

namespace bf::onnx_import {

Tensor fold_node(Graph& graph, const Node& node) {
  // Shape inference first: a malformed node fails with the same message whether or
  // not its operands happen to be constant.
  std::vector<const TensorType*> types;
  std::vector<Tensor> operands;
  for (ValueId v : node.inputs) {
    types.push_back(v == kNoValue ? nullptr : &graph.type(v));
    operands.push_back(v == kNoValue ? Tensor() : graph.constant(v));
  }
  std::vector<TensorType> expected = infer_output_types(node.op, node.attrs, types);
  BF_ASSERT(expected.size() == 1);
  std::vector<Tensor> out = eval_node(node, operands);
  if (fold_may_round(node, operands, out)) {
    graph.rounded.push_back("import-time folding of " + node.name + " (" + std::string(op_name(node.op)) + ")");
  }
  BF_CHECK(out.size() == 1 && out[0].dtype() == expected[0].dtype && out[0].shape() == expected[0].shape,
           ErrorKind::Internal, "constant folding of {} produced a result of the wrong type (expected {})",
           op_name(node.op), expected[0].str());
  return out[0];
}

}  // namespace bf::onnx_import
