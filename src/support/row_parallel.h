// Rows of a sweep chunk shared among threads. In the per-row steps of a
// backward or dual sweep (relaxation, beta, scores, seeds, concretisation)
// each row reads shared planes and writes only its own row of A, its own bias
// entry, its own parameter slot and its own output element, so rows are
// independent. Each row is computed by one thread in the same way whatever the
// split, so results do not depend on the thread count (determinism).
//
// Why: on two cores these loops ran on one thread while the other spun at the
// next barrier; on an MLP's branch and bound they were a third of the bounding
// time (docs/relu_split.md).
//
// The including file must be compiled with OpenMP (every library from
// bf_kernels up links it); without it the loop is serial.
#pragma once

#include <cstdint>

namespace bf {

// Below this many elements a chunk stays on one thread: a fork costs a few
// microseconds, about what 32k elements of a per-row step take.
inline constexpr std::int64_t kRowParallelElements = std::int64_t{1} << 15;

// f(r) for r in [0, rows), each on one thread.
template <typename F>
void for_each_row(std::int64_t rows, std::int64_t elements_per_row, const F& f) {
#pragma omp parallel for schedule(static) if (rows > 1 && rows * elements_per_row >= kRowParallelElements)
  for (std::int64_t r = 0; r < rows; ++r) f(r);
}

}  // namespace bf
