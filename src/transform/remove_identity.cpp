#include "transform/remove_identity.h"

#include <fmt/format.h>

#include <set>

#include "transform/rewrite_utils.h"

namespace bf {
namespace {

bool is_identity_like(OpKind op) { return op == OpKind::Identity || op == OpKind::Dropout; }

enum class Mode {
  // y is not a graph output: every reader of y reads x instead.
  RewireReaders,
  // y is a graph output and x is computed by a node: that node writes y directly and
  // x's readers read y, so the graph output keeps its name.
  RenameProducerOutput,
};

struct Removal {
  NodeId node;
  Mode mode;
};

struct Plan {
  std::vector<Removal> removals;
  std::vector<std::string> remarks;
};

// One round. Decisions are made so that applying all of them in order is valid:
// an Identity reading another Identity's result waits for the next round (its
// operand changes when the first one goes), and only one output-renaming removal
// per operand value is taken per round.
Plan analyze(const Graph& g) {
  Plan plan;
  const auto producers = g.producers();
  std::set<ValueId> renamed_operands;
  for (std::size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& node = g.nodes()[n];
    if (!is_identity_like(node.op)) continue;
    ValueId x = node.inputs[0];
    ValueId y = node.outputs[0];
    auto producer = producers[static_cast<std::size_t>(x)];
    if (producer && is_identity_like(g.node(*producer).op)) continue;  // next round
    if (!g.is_output(y)) {
      plan.removals.push_back({static_cast<NodeId>(n), Mode::RewireReaders});
      continue;
    }
    const char* why = nullptr;
    if (g.is_input(x))
      why = "a graph input";
    else if (g.is_constant(x))
      why = "a constant";
    else if (g.is_output(x))
      why = "another graph output";
    else if (!producer)
      why = "a value without producer";
    if (why) {
      plan.remarks.push_back(fmt::format("kept {}: removing it would make graph output '{}' alias {} ('{}')",
                                         describe(node), g.value(y).name, why, g.value(x).name));
      continue;
    }
    if (!renamed_operands.insert(x).second) continue;  // next round
    plan.removals.push_back({static_cast<NodeId>(n), Mode::RenameProducerOutput});
  }
  return plan;
}

void rewrite(Graph& g, const Plan& plan) {
  const auto producers = g.producers();
  std::vector<NodeId> doomed;
  for (const auto& r : plan.removals) {
    // Read the operand now: an earlier removal in this round may have rewired it.
    ValueId x = g.node(r.node).inputs[0];
    ValueId y = g.node(r.node).outputs[0];
    if (r.mode == Mode::RewireReaders) {
      g.replace_all_uses(y, x);
    } else {
      auto producer = producers[static_cast<std::size_t>(x)];
      BF_ASSERT(producer.has_value());
      for (auto& out : g.nodes()[static_cast<std::size_t>(*producer)].outputs) {
        if (out == x) out = y;
      }
      g.replace_all_uses(x, y);
    }
    // The Identity node now reads y or x; it is removed below, so its operand no longer matters.
    doomed.push_back(r.node);
  }
  g.remove_nodes(doomed);
  g.compact();
}

}  // namespace

bool RemoveIdentity::run(Graph& graph) {
  bool changed = false;
  while (true) {
    Plan plan = analyze(graph);
    if (plan.removals.empty()) {
      set_remarks(std::move(plan.remarks));
      return changed;
    }
    rewrite(graph, plan);
    changed = true;
  }
}

}  // namespace bf
