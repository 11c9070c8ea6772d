// Lowering shared by the planners: given where to cut the primal graph's node
// list, build the tasks, their buffer contracts, the edges, and one logical
// buffer per activation value.
#pragma once

#include <vector>

#include "planner/plan_bundle.h"

namespace bf {

// `segment_starts` are node indices where tasks begin (first must be 0, strictly
// increasing). Fills bundle.task_graph and bundle.storage (logical buffers only).
void lower_to_tasks(PlanBundle& bundle, const std::vector<NodeId>& segment_starts);

// Fills every task's buffer contract (io) and the task edges from the ops'
// reads and writes (tasks in list order; an op may update a buffer in place).
void build_task_contracts(PlanBundle& bundle);

// Number of activation values produced at or before node `i` and read after it:
// the buffers a cut after node `i` makes cross between tasks.
std::vector<std::int64_t> cut_crossings(const Graph& graph);

}  // namespace bf
