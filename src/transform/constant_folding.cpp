#include "transform/constant_folding.h"

#include <fmt/format.h>

#include "kernels/fold_rounding.h"
#include "kernels/op_eval.h"
#include "transform/rewrite_utils.h"

namespace bf {
namespace {

struct FoldPlan {
  std::vector<NodeId> fold;  // in topological order
  std::vector<std::string> remarks;
};

// Which nodes compute constants. A node qualifies when every operand is a constant
// or the output of a node that itself folds, so whole constant chains fold at once.
FoldPlan analyze(const Graph& g) {
  FoldPlan plan;
  std::vector<bool> constant(static_cast<std::size_t>(g.num_values()), false);
  for (const auto& [v, t] : g.constants()) constant[static_cast<std::size_t>(v)] = true;
  const auto& nodes = g.nodes();
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    const Node& node = nodes[n];
    bool all_constant = true;
    for (ValueId v : node.inputs) {
      if (v != kNoValue && !constant[static_cast<std::size_t>(v)]) all_constant = false;
    }
    if (!all_constant) continue;
    // A graph output must stay computed by a node. Every downstream consumer of the
    // graph (the forward executor, the bound engines, the VNN-LIB output mapping)
    // treats outputs as per-sample activations with a batch dimension; a constant
    // has neither a producer nor a batch, so folding it would change the graph's
    // interface. Evaluating such a node per sample is cheap, so we keep it.
    bool feeds_output = false;
    for (ValueId v : node.outputs) feeds_output = feeds_output || g.is_output(v);
    if (feeds_output) {
      plan.remarks.push_back(
          fmt::format("kept {}: its operands are constant but it computes a graph output", describe(node)));
      continue;
    }
    plan.fold.push_back(static_cast<NodeId>(n));
    for (ValueId v : node.outputs) constant[static_cast<std::size_t>(v)] = true;
  }
  return plan;
}

void rewrite(Graph& g, const FoldPlan& plan) {
  for (NodeId id : plan.fold) {
    const Node& node = g.node(id);
    std::vector<Tensor> inputs;
    for (ValueId v : node.inputs) inputs.push_back(v == kNoValue ? Tensor() : g.constant(v));
    std::vector<Tensor> results;
    try {
      results = eval_node(node, inputs);
    } catch (Error& e) {
      e.with_node(node.name, std::string(op_name(node.op)));
      throw;
    }
    BF_CHECK(results.size() == node.outputs.size(), ErrorKind::Internal, "eval_node returned {} tensors for {} outputs",
             results.size(), node.outputs.size());
    if (fold_may_round(node, inputs, results)) g.rounded.push_back("constant folding of " + describe(node));
    for (std::size_t i = 0; i < results.size(); ++i) {
      ValueId out = node.outputs[i];
      const TensorType& recorded = g.type(out);
      BF_CHECK(recorded == TensorType({results[i].dtype(), results[i].shape()}), ErrorKind::Internal,
               "folding {} yields {}{} for '{}' recorded as {}", describe(node), dtype_name(results[i].dtype()),
               shape_str(results[i].shape()), g.value(out).name, recorded.str());
      g.set_constant(out, std::move(results[i]));
    }
  }
  g.remove_nodes(plan.fold);
  g.compact();
}

}  // namespace

bool ConstantFolding::run(Graph& graph) {
  FoldPlan plan = analyze(graph);
  set_remarks(std::move(plan.remarks));
  if (plan.fold.empty()) return false;
  rewrite(graph, plan);
  return true;
}

}  // namespace bf
