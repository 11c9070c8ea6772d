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

// What one op of a task does. Interval and Primal ops run a primal node's rule on
// its IR operands; the others are the steps of a linear (CROWN) bound sweep,
// which go backwards from a start value to the graph input.
enum class TaskOpKind : std::uint8_t {
  Interval,    // IBP rule of `node`: operand intervals -> result intervals
  Primal,      // concrete forward op of `node`
  Relax,       // linear relaxation of nonlinear `node` from its input interval
  Select,      // rows of sweep `start`: which neurons of the start value get linear bounds
  Seed,        // one-hot rows of sweep `start` at the start value; zeroes its bias
  Backward,    // linear bounds through `node`: A of its output -> A of its inputs (+ bias)
  Concretize,  // bounds of the start value's rows from A at the graph input (+ bias)
  // alpha-CROWN (optimised relaxations):
  Restore,   // the start value's interval from the best bounds so far (a State buffer), intersected with what
             // an interval op computed this run
  DualSeed,  // each row's minimising (lower side) or maximising (upper side) input corner, from the signs of A
  Dual,      // the rows' relaxed forward value through `node` (the adjoint of its backward step); at a node
             // with optimised lines, also the gradient of the rows' bounds by its parameters
  // Sound floating point (bound/rounding/rounding_account.h):
  Account,  // `node`'s rounding account from its inputs' magnitudes; widens the interval its interval op wrote
  Charge,   // before `node`'s backward op in sweep `start`: its rounding, charged to the rows' bias
  // beta-CROWN (bound/linear/beta_steps.h), in a branch-and-bound program's final sweep:
  Beta,          // the domains' split constraints added to A at a ReLU input (per-row parameters, State)
  BetaGradient,  // the gradient of the rows' bounds by those parameters, from the dual of the ReLU input
  Score,         // BaBSR branching scores of a ReLU's input elements, from A at its output
};
const char* task_op_kind_name(TaskOpKind kind);

// One op inside a task. `node` indexes the primal graph's node list, where op
// attributes live (-1 for sweep steps that belong to no node). `inputs` and
// `outputs` are the node's IR operands (Interval/Primal ops only). `reads` and
// `writes` are the logical buffers the op touches, for every kind: what
// liveness, reuse and the verifiers work from. A buffer both read and written
// is updated in place.
struct TaskOp {
  NodeId node = -1;
  OpKind op = OpKind::Identity;
  TaskOpKind kind = TaskOpKind::Interval;
  std::int32_t start = -1;      // sweep steps: index into PlanBundle::sweeps
  std::vector<ValueId> inputs;  // activations and constants, in operand order
  std::vector<ValueId> outputs;
  std::vector<BufferId> reads;
  std::vector<BufferId> writes;
  // Backward: per entry of `writes`, true when the op adds into the buffer
  // (another op already wrote part of it) rather than overwriting it.
  std::vector<bool> accumulate;
};

enum class TaskKind : std::uint8_t {
  Bound,    // propagates intervals (IBP)
  Forward,  // concrete forward pass
  Sweep,    // one backward linear-bound sweep, run once per chunk of rows
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
  std::int32_t sweep = -1;  // Sweep tasks: index into PlanBundle::sweeps
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
