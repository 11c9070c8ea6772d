// Internal to bf_kernels: C-order iteration over the rows of a shape (every index
// but the last dimension) while tracking element offsets into several operands,
// each with its own per-dimension strides (0 on broadcast dimensions).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tensor/shape.h"

namespace bf::kernels {

// Coordinates of a flat C-order index into `shape`.
inline Shape unravel(std::int64_t flat, const Shape& shape) {
  Shape idx(shape.size());
  for (std::int64_t d = static_cast<std::int64_t>(shape.size()) - 1; d >= 0; --d) {
    const auto du = static_cast<std::size_t>(d);
    idx[du] = flat % shape[du];
    flat /= shape[du];
  }
  return idx;
}

template <std::size_t N>
using Strides = std::array<std::vector<std::int64_t>, N>;

// Calls fn(offsets) once per row, offsets[k] being the element offset of the
// row's first element in operand k. The row length is shape.back() (1 for a
// scalar) and operand k advances by strides[k].back() along it. Nothing is
// visited when the shape holds no elements.
template <std::size_t N, typename Fn>
void for_each_row(const Shape& shape, const Strides<N>& strides, Fn&& fn) {
  std::array<std::int64_t, N> off{};
  if (shape.empty()) {
    fn(off);
    return;
  }
  for (auto d : shape) {
    if (d == 0) return;
  }
  const auto outer_rank = static_cast<std::int64_t>(shape.size()) - 1;
  std::vector<std::int64_t> idx(static_cast<std::size_t>(outer_rank), 0);
  while (true) {
    fn(off);
    std::int64_t d = outer_rank - 1;
    for (; d >= 0; --d) {
      const auto du = static_cast<std::size_t>(d);
      ++idx[du];
      for (std::size_t k = 0; k < N; ++k) off[k] += strides[k][du];
      if (idx[du] < shape[du]) break;
      for (std::size_t k = 0; k < N; ++k) off[k] -= strides[k][du] * shape[du];
      idx[du] = 0;
    }
    if (d < 0) return;
  }
}

// Length and per-operand inner stride of the rows for_each_row visits.
inline std::int64_t row_length(const Shape& shape) { return shape.empty() ? 1 : shape.back(); }
template <std::size_t N>
std::array<std::int64_t, N> inner_strides(const Strides<N>& strides) {
  std::array<std::int64_t, N> s{};
  for (std::size_t k = 0; k < N; ++k) s[k] = strides[k].empty() ? 0 : strides[k].back();
  return s;
}

// Prepends a leading dimension (the batch) to a shape.
inline Shape with_batch(std::int64_t batch, const Shape& shape) {
  Shape s{batch};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

// Strides of an operand of per-sample shape `from` read as broadcast to the
// batched shape [batch] + `to`; `sample_stride` is 0 for a shared operand.
inline std::vector<std::int64_t> batched_broadcast_strides(std::int64_t sample_stride, const Shape& from,
                                                           const Shape& to) {
  std::vector<std::int64_t> s{sample_stride};
  auto rest = broadcast_strides(from, to);
  s.insert(s.end(), rest.begin(), rest.end());
  return s;
}

}  // namespace bf::kernels
