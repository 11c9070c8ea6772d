// A bound computation handed to the planner as ops over logical buffers, already
// cut into tasks. A bound method builds one when its work is more than one rule
// per primal node: a linear (CROWN-family) method runs interval ops, then one
// backward sweep per start value, whose ops read and write linear-bound buffers
// (A matrices) that no IR value names. The planner fills the task contracts and
// edges, then runs the same passes (liveness, reuse, verifier) as for a plan made
// from a primal graph, so these buffers are planned like any other.
#pragma once

#include <map>
#include <vector>

#include "planner/plan_bundle.h"

namespace bf {

struct BoundProgram {
  std::vector<BufferSpec> buffers;              // logical buffers; ids are positions
  std::map<ValueId, BufferId> value_to_buffer;  // the interval buffer of each IR value that has one
  std::vector<Task> tasks;                      // ops with reads/writes; io and edges are filled by the planner
  std::vector<SweepInfo> sweeps;
};

}  // namespace bf
