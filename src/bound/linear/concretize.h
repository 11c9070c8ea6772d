// The end of a sweep: bounds of its rows from the linear bounds at the graph
// input over the input box [xl, xu] (centre c, radius r per element):
//   lower = lower bias + sum_k (lA[k] c[k] - |lA[k]| r[k])
//   upper = upper bias + sum_k (uA[k] c[k] + |uA[k]| r[k])
// The box's centre-radius form is the one IBP uses (kernels/interval/centre_radius.h).
#pragma once

#include <cstdint>

#include "bound/linear/linear_view.h"

namespace bf {

// Where a chunk's bounds go: the start value's interval planes ([batch, numel]),
// row r of the chunk at element chunk.neurons[r] of sample chunk.samples[r].
struct ConcretizeTarget {
  void* lower = nullptr;
  void* upper = nullptr;
  std::int64_t numel = 0;  // elements of the start value per sample
  bool tighten = false;    // keep the better of the new bound and the one already there (alpha-CROWN)
  // When set: each row's A at the input is copied to row slots[r] of these
  // planes ([rows, input elements] per side; dense rows only).
  void* export_lower = nullptr;
  void* export_upper = nullptr;
  // Sound floating point (docs/soundness.md): each bound moved outward by the
  // most its computation in the plan's dtype can be off from the exact value
  // of the row's linear bound over the box (concretize_rounding).
  bool sound = false;
};

// How far the bound of row r (side 0 lower, 1 upper) computed from A at the
// input and the bias `bias` may be from its exact value: gamma(n + 4) (sum_k
// |A_k| max(|xl_k|, |xu_k|) + |bias|) plus underflow, n the row's entries.
double concretize_rounding(const SweepChunk& chunk, DType dtype, const LinearView& at_input, int side, std::int64_t r,
                           IntervalView input_box, double bias);

// The bound moved outward by `error` (lower side down, upper side up), in T.
template <typename T>
T outward(T bound, int side, double error);

void concretize_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_input, const BiasView& bias,
                     IntervalView input_box, const ConcretizeTarget& target);

}  // namespace bf
