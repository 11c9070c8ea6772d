// The two planners differ only in where they cut the node list into tasks.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "planner/planner_config.h"

namespace bf {

// v0: one task holding every node.
std::vector<NodeId> partition_v0(const Graph& graph);

// v2: a deterministic partition into at least `min_tasks` tasks (capped at one
// node per task) of at most `max_ops_per_task` nodes (when nonzero), cutting
// at topological cut points: positions in the node order where few activation
// buffers cross. Returns the start node of every task.
std::vector<NodeId> partition_v2(const Graph& graph, const PlannerConfig& config);

}  // namespace bf
