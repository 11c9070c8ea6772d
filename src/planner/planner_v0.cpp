#include "planner/partition.h"

namespace bf {

std::vector<NodeId> partition_v0(const Graph& graph) {
  if (graph.nodes().empty()) return {};
  return {0};
}

}  // namespace bf
