// Lays out a linear (CROWN-family) bound computation as a BoundProgram for the
// planner: interval steps, relaxations, and one backward sweep per value whose
// bounds the sweeps need, then one from the graph output.
//
// Which values get intermediate bounds, and how, follows auto_LiRPA 0.5.0's
// CROWN (docs/crown.md):
//   - every input of a relaxed op (Relu, LeakyRelu, Sigmoid, Tanh, Clip,
//     MaxPool) needs bounds before any sweep can pass that op;
//   - a value computed from already-bounded values by ops that IBP bounds
//     exactly (views, Transpose, Neg, monotone activations) gets IBP bounds;
//   - the first affine layer on the input (through views and per-element
//     affine ops) gets IBP bounds, which equal CROWN's there;
//   - every other one gets a sweep. With default options, a value that only
//     feeds ReLU-like ops sweeps only the rows that IBP finds unstable (all of
//     them for a sample where more than 90% are); --dense-intermediates sweeps
//     every row; crown-ibp bounds every intermediate by IBP.
#pragma once

#include <map>
#include <memory>

#include "ir/graph.h"
#include "planner/bound_program.h"
#include "planner/planner_config.h"

namespace bf {

enum class IntermediateBounds : std::uint8_t {
  Crown,  // auto_LiRPA's CROWN: sparse sweeps where IBP says most rows are stable
  Dense,  // a sweep over every element of every bounded value
  Ibp,    // IBP for every intermediate value (the crown-ibp method)
};
const char* intermediate_bounds_name(IntermediateBounds m);

struct CrownProgramOptions {
  IntermediateBounds intermediates = IntermediateBounds::Crown;
  // Sides of the final sweep (intermediate sweeps always compute both).
  bool lower = true;
  bool upper = true;
  // Keep the intermediate bounds for the caller (pinned, like graph outputs).
  bool export_intermediates = false;
  // Rows per chunk of each sweep, by start value (absent: all rows in one chunk).
  std::map<ValueId, std::int64_t> rows_per_chunk;
  // alpha-CROWN (docs/alpha_crown.md): every sweep bounds a fixed row list of
  // `fixed_rows` rows (by start value; a State buffer the caller fills); the
  // Relu, LeakyRelu, Sigmoid and Tanh nodes a sweep crosses take their lines
  // from per-row parameters (State); each swept value starts from the best
  // bounds so far (State) and keeps the better bound per row; after each
  // chunk, dual ops write the gradients of the rows' bounds by the parameters.
  bool alpha = false;
  std::map<ValueId, std::int64_t> fixed_rows;
  // The final sweep's A at the graph input, every row (a State buffer the
  // caller binds): the rows' linear bounds in x. At a point region these are
  // the gradients of the rows (attacks); over a box, what split heuristics read.
  bool export_input_coefficients = false;
  // Branch and bound (docs/relu_split.md): each sample of the batch is one
  // domain. Every value with intermediate bounds starts from the domain's
  // bounds (its `best` State buffer: the parent's, clipped by the splits) and
  // only tightens from there. Intermediate sweeps have fixed row lists (left
  // empty, the given bounds stand) and CROWN's lines; the final sweep is
  // alpha-CROWN's, with beta entering at every ReLU input
  // (bound/linear/beta_steps.h) and BaBSR's scores written for every ReLU.
  // Needs fixed_rows for every sweep. `branch_elements`: per ReLU input, the
  // elements a search may split (ascending; those unstable over its root box):
  // the only ones with beta and scores.
  bool branch = false;
  std::map<ValueId, std::vector<std::int64_t>> branch_elements;
  bool branch_gradients = true;  // branch: the final sweep's dual ops (false: bounds with given parameters only)
};

// What the method needs to know about the program besides the plan.
struct CrownProgramInfo {
  std::vector<ValueId> intermediate_values;  // values that get intermediate bounds, in topological order
  std::map<ValueId, bool> by_sweep;          // for each of them: a sweep (true) or IBP (false)
  std::vector<ValueId> sweep_starts;         // start value of each sweep, in program order (the output last)
  std::map<ValueId, BufferId> best_buffers;  // alpha: the best bounds so far of each swept value (State);
                                             // branch: of every value with intermediate bounds, and the output
};

// `graph`: normalised, single input, single output (the spec, if any, already
// appended). `config` supplies dtype, batch and alignment. Throws
// bf::Error(Unsupported) naming the first node a sweep would need a rule for
// and that has none.
BoundProgram build_crown_program(const Graph& graph, const PlannerConfig& config, const CrownProgramOptions& options,
                                 CrownProgramInfo* info = nullptr);

}  // namespace bf
