// Internal to the backward rules: typed access and the loops they share.
#pragma once

#include <cstring>
#include <vector>

#include "bound/linear/backward.h"
#include "bound/linear/row_coords.h"
#include "support/error.h"

namespace bf::linear_detail {

// Calls fn(float{}) or fn(double{}).
template <typename Fn>
void visit_real(DType dtype, Fn&& fn) {
  if (dtype == DType::F32) {
    fn(float{});
  } else if (dtype == DType::F64) {
    fn(double{});
  } else {
    fail(ErrorKind::Unsupported, "linear bounds in {}", dtype_name(dtype));
  }
}

// Sides the chunk computes: 0 lower, 1 upper (no allocation: rules ask per row).
struct ChunkSides {
  int side[2] = {0, 0};
  int count = 0;
  const int* begin() const { return side; }
  const int* end() const { return side + count; }
};
inline ChunkSides sides(const SweepChunk& c) {
  ChunkSides s;
  if (c.lower) s.side[s.count++] = 0;
  if (c.upper) s.side[s.count++] = 1;
  return s;
}

// The index of the one active operand among `candidates` (-1 if none).
inline int active_operand(const BackwardArgs& a) {
  int found = -1;
  for (std::size_t i = 0; i < a.in.size(); ++i) {
    if (a.in[i].active) {
      BF_CHECK(found < 0, ErrorKind::Unsupported, "{} '{}' with two activation operands has no linear rule",
               op_name(a.node.op), a.node.name);
      found = static_cast<int>(i);
    }
  }
  return found;
}

// Adds a row's contributions to a target, by flat element index of the target's value.
template <typename T>
class TargetRow {
 public:
  TargetRow(const LinearTarget& t, const SweepChunk& c) : t_(t), coords_(t.view, c), chunk_(c) {}
  void set(int side, std::int64_t r) {
    row_ = row_of<T>(t_.view.side(side), t_.view, r);
    coords_.set_row(r);
  }
  // The current row when entry e holds element e (rules may index it by
  // element directly), else null.
  T* dense() const { return coords_.dense() ? row_ : nullptr; }
  void add(std::int64_t k, T v) {
    const std::int64_t e = coords_.entry_of(k);
    BF_ASSERT(e >= 0);
    row_[e] += v;
  }

 private:
  const LinearTarget& t_;
  RowCoords coords_;
  const SweepChunk& chunk_;
  T* row_ = nullptr;
};

// For every side and row: fn(side, b, r, out_row, out_coords) with the output
// row and its coordinates set; b is the row's sample.
template <typename T, typename Fn>
void for_each_row(const BackwardArgs& a, Fn&& fn) {
  RowCoords oc(a.out, a.chunk);
  for (int s : sides(a.chunk)) {
    for (std::int64_t r = 0; r < a.chunk.rows; ++r) {
      oc.set_row(r);
      fn(s, a.chunk.samples[r], r, row_of<T>(static_cast<const void*>(a.out.side(s)), a.out, r), oc);
    }
  }
}

template <typename T>
T& bias_at(const BackwardArgs& a, int side, std::int64_t r) {
  return static_cast<T*>(a.bias.side(side))[r];
}

// Numpy broadcasting: flat index into `from` (right-aligned against `to`) of
// flat element k of `to`.
class Broadcast {
 public:
  Broadcast(const Shape& from, const Shape& to)
      : to_strides_(contiguous_strides(to)), from_strides_(broadcast_strides(from, to)) {}
  std::int64_t operator()(std::int64_t k) const {
    std::int64_t idx = 0;
    for (std::size_t d = 0; d < to_strides_.size(); ++d) {
      const std::int64_t i = k / to_strides_[d];
      k %= to_strides_[d];
      idx += i * from_strides_[d];
    }
    return idx;
  }

 private:
  std::vector<std::int64_t> to_strides_, from_strides_;
};

}  // namespace bf::linear_detail
