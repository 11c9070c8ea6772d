// Everything the planner knows about one plan, handed from pass to pass:
// the graph it was made from, the options, the task graph, the storage plan,
// and the results of analyses (liveness) and rewrites (reuse statistics).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "planner/planner_config.h"
#include "planner/storage_plan.h"
#include "planner/task_graph.h"

namespace bf {

// Position of an op in the linear schedule (tasks in order, ops in order).
struct OpPosition {
  TaskId task = -1;
  std::int32_t index_in_task = -1;
};

// When a logical buffer is alive. Op positions index LivenessInfo::schedule.
// producer_op / last_use_op are where the buffer is written and last read
// (graph inputs are written "before op 0": -1). [live_begin, live_end] is the
// span it occupies memory: equal to [producer_op, last_use_op] for
// intermediates, widened to a whole Sweep task for what that task (run once
// per chunk of rows) shares with the rest of the program; pinned buffers
// (graph inputs and outputs) live for the whole run, [-1, num_ops], since the
// caller writes or reads them outside it.
struct BufferLifetime {
  BufferId buffer = -1;
  std::int64_t producer_op = -1;
  std::int64_t last_use_op = -1;
  TaskId producer_task = -1;
  TaskId last_use_task = -1;
  std::int64_t live_begin = -1;
  std::int64_t live_end = -1;
  bool pinned = false;

  bool overlaps(const BufferLifetime& other) const {
    return live_begin <= other.live_end && other.live_begin <= live_end;
  }
};

struct LivenessInfo {
  std::vector<OpPosition> schedule;
  std::vector<BufferLifetime> lifetimes;  // indexed by logical buffer id
  // Most logical bytes alive at one op position: no reuse scheme can go below it.
  std::int64_t lower_bound_bytes = 0;
  std::int64_t lower_bound_at_op = -1;
  // Logical bytes alive while each op runs (its operands, its results and
  // everything else still to be read): the memory profile of the schedule, whose
  // maximum is lower_bound_bytes.
  std::vector<std::int64_t> live_bytes_per_op;
};

struct ReuseStats {
  std::string policy;
  std::int64_t hits = 0;    // logical buffers placed in an existing physical buffer
  std::int64_t misses = 0;  // logical buffers that got a new physical buffer
  std::int64_t grown = 0;   // hits that enlarged the physical buffer (size policy)
  std::map<std::string, std::int64_t> miss_reasons;
  std::int64_t logical_buffers = 0;
  std::int64_t physical_buffers = 0;
  std::int64_t logical_bytes = 0;
  std::int64_t physical_bytes = 0;
  std::int64_t lower_bound_bytes = 0;
};

// Which rows of its start value a sweep bounds.
enum class SweepRows : std::uint8_t {
  All,       // every element (the graph output, or a dense intermediate)
  Unstable,  // the elements whose reference interval crosses zero (the input of a
             // ReLU-like node), all of them for a sample where most are unstable
};
const char* sweep_rows_name(SweepRows rows);

// One backward linear-bound sweep of a linear (CROWN-family) plan: the bounds
// of `value`'s rows from linear bounds carried back to the graph input. Its task
// runs once per chunk of `rows_per_chunk` rows; `rows_buffer` holds the row
// list the sweep's Select op chose, `bias_buffer` the rows' constant terms.
struct SweepInfo {
  ValueId value = -1;
  SweepRows rows = SweepRows::All;
  std::int64_t row_capacity = 0;  // batch * elements of the value: the most rows there can be
  std::int64_t rows_per_chunk = 0;
  bool lower = true;  // sides computed (the final sweep may need only one)
  bool upper = true;
  BufferId rows_buffer = -1;
  BufferId bias_buffer = -1;
  TaskId task = -1;
  // alpha-CROWN: the row list is fixed (a State buffer the caller fills); the
  // relaxed nodes the sweep crosses take their lines from per-row parameters
  // (alpha buffers, by node); Concretize keeps the better of the new and the
  // current bound of each row; after Concretize the dual ops compute each
  // row's gradient by the parameters.
  bool alpha = false;
  std::map<NodeId, BufferId> alpha_buffers;  // per node with optimised lines: parameters (State)
  std::map<NodeId, BufferId> grad_buffers;   // ... and their gradients (State)
  // Concretize also copies each row's A at the graph input here (State,
  // [row_capacity, input elements] per side): row r at position slots[r].
  BufferId export_buffer = -1;
  // Branch and bound (bound/linear/beta_steps.h), final sweep: per ReLU input
  // z, the elements a search may split (ascending), and the rows' beta
  // parameters at them, their gradients, and BaBSR's scores (State, laid out
  // as alpha's with one parameter per branch element).
  std::map<ValueId, std::vector<std::int64_t>> branch_elements;
  std::map<ValueId, BufferId> beta_buffers, beta_grad_buffers, score_buffers;
};

struct PassTiming {
  std::string pass;
  double ms = 0.0;
};

struct PlanBundle {
  std::shared_ptr<const Graph> graph;
  PlannerConfig config;
  TaskGraph task_graph;
  StoragePlan storage;
  std::optional<LivenessInfo> liveness;
  std::optional<ReuseStats> reuse_stats;
  std::vector<SweepInfo> sweeps;  // linear plans only
  std::vector<PassTiming> timings;
  std::vector<std::string> passes_run;
};

}  // namespace bf
