// The steps of a sweep that belong to no primal op: choosing its rows (Select)
// and seeding them (Seed). See backward.h for the per-op steps and
// concretize.h for the last one.
#pragma once

#include <cstdint>

#include "bound/linear/linear_view.h"
#include "planner/plan_bundle.h"

namespace bf {

// The row list of a sweep over a start value of `row_capacity` elements, in a
// Raw buffer: the row count, the rows' elements (ascending), then per sample and
// row whether the sweep's bound replaces the reference bound there (one byte).
class SweepRowsView {
 public:
  SweepRowsView(void* base, std::int64_t row_capacity, std::int64_t batch)
      : base_(static_cast<std::int64_t*>(base)), capacity_(row_capacity), batch_(batch) {}
  static std::int64_t bytes(std::int64_t row_capacity, std::int64_t batch) {
    return (1 + row_capacity) * 8 + batch * row_capacity;
  }
  std::int64_t count() const { return base_[0]; }
  void set_count(std::int64_t n) { base_[0] = n; }
  std::int64_t* neurons() const { return base_ + 1; }
  // keep(b)[g]: row g (in list order) is kept for sample b.
  std::uint8_t* keep(std::int64_t b) const {
    return reinterpret_cast<std::uint8_t*>(base_ + 1 + capacity_) + b * capacity_;
  }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t batch() const { return batch_; }

 private:
  std::int64_t* base_;
  std::int64_t capacity_, batch_;
};

// Fraction of a sample's elements above which an Unstable sweep bounds all of
// them (auto_LiRPA's minimum_sparsity): past it, a sparse row list saves little.
inline constexpr double kDenseRowFraction = 0.9;

// Select: the rows of a sweep from the start value's reference interval
// ([batch, row_capacity] planes). All: every element. Unstable: per sample, the
// elements whose interval crosses zero (l < 0 < u), or every element when more
// than kDenseRowFraction of them do; the row list is the union over samples.
void select_rows(SweepRows policy, DType dtype, IntervalView reference, SweepRowsView rows);

// Seed: one-hot rows at the start value (row r is 1 at its own element) and zero biases.
void seed_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_start, const BiasView& bias);

}  // namespace bf
