// Views of the memory one chunk of a backward sweep works on.
//
// A row of a sweep is one (sample, element) pair: the linear bounds of one
// element of the start value for one sample of the batch. Rows of different
// samples sit side by side in one list, so a sample bounds only the elements it
// needs (its own unstable neurons) and every row goes through the same matrix
// products. Linear buffers are [rows, elements per row] per side; rows beyond
// the chunk's `rows` (the last chunk of a sweep is short) are laid out but
// unused. Relaxation and interval planes stay [batch, numel], read at the row's
// sample.
#pragma once

#include <cstdint>
#include <span>

#include "bound/linear/linear_geometry.h"
#include "tensor/dtype.h"

namespace bf {

// The rows one run of a sweep task bounds.
struct SweepChunk {
  std::int64_t batch = 1;                 // samples of the plan (the planes relaxations and intervals hold)
  std::int64_t rows = 0;                  // rows in this chunk
  const std::int64_t* slots = nullptr;    // [rows]: the row of the sweep's alpha parameters each row uses
  std::int64_t row_capacity = 0;          // rows the buffers are laid out for (>= rows)
  const std::int64_t* neurons = nullptr;  // [rows]: element of the start value each row bounds
  const std::int64_t* samples = nullptr;  // [rows]: the sample it bounds it for
  StartDims start;                        // spatial size of the start value (row origins)
  bool lower = true;                      // compute the lower side (lower A, lower bias)
  bool upper = true;                      // compute the upper side
};

// A and its geometry for one value: lower A then upper A, each
// [row_capacity, elements]. A side that is not computed may be null.
struct LinearView {
  void* lower = nullptr;
  void* upper = nullptr;
  LinearWindow window;
  Shape value_shape;  // per-sample IR shape of the value
  std::int64_t elements = 0;

  void* side(int s) const { return s == 0 ? lower : upper; }
};

// Where a backward rule writes the A of one operand: accumulate adds to what an
// earlier rule left there; otherwise the rule overwrites every element.
struct LinearTarget {
  LinearView view;
  bool active = false;  // false: the operand is a constant or outside the sweep
  bool accumulate = false;
};

// The rows' constant terms: lower then upper, each [row_capacity].
struct BiasView {
  void* lower = nullptr;
  void* upper = nullptr;
  void* side(int s) const { return s == 0 ? lower : upper; }
};

// Elementwise linear relaxation of a nonlinear node, per element of its input
// (4 planes [batch, numel]): y >= lower_slope * x + lower_icpt and
// y <= upper_slope * x + upper_icpt for every x inside the input interval.
struct RelaxView {
  const void* lower_slope = nullptr;
  const void* lower_icpt = nullptr;
  const void* upper_slope = nullptr;
  const void* upper_icpt = nullptr;
};

// Interval planes of a value: [batch, numel] each.
struct IntervalView {
  const void* lower = nullptr;
  const void* upper = nullptr;
};

// alpha-CROWN's parameters of one relaxed node for one sweep (or their
// gradients, laid out alike): per side, [rows of the sweep, params * elements],
// entry (parameter k, element e of the row's window) at k * elements + e. Row
// r of a chunk uses the parameters of row chunk.slots[r].
struct AlphaView {
  void* lower = nullptr;
  void* upper = nullptr;
  std::int64_t elements = 0;
  int params = 0;  // 0: the node's lines are fixed (CROWN's)

  void* side(int s) const { return s == 0 ? lower : upper; }
  template <typename T>
  T* row(int s, std::int64_t sweep_row) const {
    return static_cast<T*>(side(s)) + sweep_row * params * elements;
  }
};

}  // namespace bf
