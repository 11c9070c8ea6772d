// The task IR: the primal graph partitioned into tasks that exchange buffers.
// Each task states its buffer contract (TaskIO): which logical buffers it reads
// from other tasks (or the caller) and which it hands on. Executors run tasks in
// order and may only touch what the contract names plus the task's own
// intermediates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "planner/buffer_spec.h"

namespace bf {

using TaskId = std::int32_t;

// One primal op inside a task. Operands are IR value ids; `node` indexes the
// primal graph's node list, where op attributes live.
struct TaskOp {
  NodeId node = -1;
  OpKind op = OpKind::Identity;
  std::vector<ValueId> inputs;  // activations and constants, in operand order
  std::vector<ValueId> outputs;
};

enum class TaskKind : std::uint8_t {
  Bound,    // propagates intervals (IBP)
  Forward,  // concrete forward pass
};
const char* task_kind_name(TaskKind kind);

struct TaskIO {
  std::vector<BufferId> inputs;   // logical buffers read here but produced elsewhere (or graph inputs)
  std::vector<BufferId> outputs;  // logical buffers produced here and read elsewhere (or graph outputs)
  std::vector<ValueId> params;    // constants the task's ops read
};

struct Task {
  TaskId id = -1;
  TaskKind kind = TaskKind::Bound;
  std::string name;
  std::vector<TaskOp> ops;
  TaskIO io;
};

// A dependency: `dst` reads `buffer`, which `src` produced.
struct TaskEdge {
  TaskId src = -1;
  TaskId dst = -1;
  BufferId buffer = -1;
};

struct TaskGraph {
  std::vector<Task> tasks;  // in a topological order
  std::vector<TaskEdge> edges;

  std::int64_t num_ops() const;
  // Tasks sorted so every edge points forward; throws bf::Error(Invalid) on a cycle.
  std::vector<TaskId> topological_order() const;
};

}  // namespace bf
