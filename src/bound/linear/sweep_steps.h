// The steps of a sweep that belong to no primal op: choosing its rows (Select)
// and seeding them (Seed). See backward.h for the per-op steps and
// concretize.h for the last one.
#pragma once

#include <cstdint>

#include "bound/linear/linear_view.h"
#include "planner/plan_bundle.h"

namespace bf {

// The row list of a sweep in a Raw buffer: the row count, then each row's
// element of the start value, its sample, and its slot (the row of the
// sweep's alpha-CROWN parameters it uses; its position unless alpha-CROWN
// leaves rows out). At most batch * elements rows.
class SweepRowsView {
 public:
  SweepRowsView(void* base, std::int64_t capacity) : base_(static_cast<std::int64_t*>(base)), capacity_(capacity) {}
  static std::int64_t bytes(std::int64_t capacity) { return (1 + 3 * capacity) * 8; }
  std::int64_t count() const { return base_[0]; }
  void set_count(std::int64_t n) { base_[0] = n; }
  std::int64_t* neurons() const { return base_ + 1; }
  std::int64_t* samples() const { return base_ + 1 + capacity_; }
  std::int64_t* slots() const { return base_ + 1 + 2 * capacity_; }
  std::int64_t capacity() const { return capacity_; }

 private:
  std::int64_t* base_;
  std::int64_t capacity_;
};

// Fraction of a sample's elements above which an Unstable sweep bounds all of
// them (auto_LiRPA's minimum_sparsity): past it, a sparse row list saves little.
inline constexpr double kDenseRowFraction = 0.9;

// Select: the rows of a sweep from the start value's reference interval
// ([batch, elements] planes). All: every element of every sample. Unstable: per
// sample, the elements whose interval crosses zero (l < 0 < u), or all of its
// elements when more than kDenseRowFraction of them do. Rows are in sample
// order, then element order.
void select_rows(SweepRows policy, DType dtype, std::int64_t batch, std::int64_t elements, IntervalView reference,
                 SweepRowsView rows);

// Seed: one-hot rows at the start value (row r is 1 at its own element) and zero biases.
void seed_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_start, const BiasView& bias);

}  // namespace bf
