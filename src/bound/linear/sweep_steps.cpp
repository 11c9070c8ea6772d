#include "bound/linear/sweep_steps.h"

#include <cstring>

#include "bound/linear/backward_util.h"

namespace bf {

using namespace linear_detail;

void select_rows(SweepRows policy, DType dtype, IntervalView reference, SweepRowsView rows) {
  const std::int64_t n = rows.capacity(), batch = rows.batch();
  std::vector<std::uint8_t> any(static_cast<std::size_t>(n), 0);
  for (std::int64_t b = 0; b < batch; ++b) std::memset(rows.keep(b), 0, static_cast<std::size_t>(n));
  if (policy == SweepRows::All) {
    for (std::int64_t b = 0; b < batch; ++b) std::memset(rows.keep(b), 1, static_cast<std::size_t>(n));
    std::fill(any.begin(), any.end(), 1);
  } else {
    visit_real(dtype, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t b = 0; b < batch; ++b) {
        const T* l = static_cast<const T*>(reference.lower) + b * n;
        const T* u = static_cast<const T*>(reference.upper) + b * n;
        std::int64_t unstable = 0;
        for (std::int64_t j = 0; j < n; ++j) unstable += (l[j] < T(0) && u[j] > T(0)) ? 1 : 0;
        const bool dense = static_cast<double>(unstable) > kDenseRowFraction * static_cast<double>(n);
        std::uint8_t* keep = rows.keep(b);
        for (std::int64_t j = 0; j < n; ++j) keep[j] = dense || (l[j] < T(0) && u[j] > T(0)) ? 1 : 0;
      }
    });
    for (std::int64_t b = 0; b < batch; ++b) {
      for (std::int64_t j = 0; j < n; ++j) any[static_cast<std::size_t>(j)] |= rows.keep(b)[j];
    }
  }
  // Rows in element order; each sample's keep flags follow the row list.
  std::int64_t count = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    if (any[static_cast<std::size_t>(j)]) rows.neurons()[count++] = j;
  }
  for (std::int64_t b = 0; b < batch; ++b) {
    std::uint8_t* keep = rows.keep(b);
    for (std::int64_t g = 0; g < count; ++g) keep[g] = keep[rows.neurons()[g]];  // g <= neurons()[g]: in place
  }
  rows.set_count(count);
}

void seed_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_start, const BiasView& bias) {
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(dtype));
  const std::int64_t image = at_start.window.spatial ? at_start.window.height * at_start.window.width : 1;
  for (int s : sides(chunk)) {
    std::memset(at_start.side(s), 0,
                static_cast<std::size_t>(chunk.batch * chunk.row_capacity * at_start.elements * elem));
    std::memset(bias.side(s), 0, static_cast<std::size_t>(chunk.batch * chunk.row_capacity * elem));
    visit_real(dtype, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t b = 0; b < chunk.batch; ++b) {
        for (std::int64_t r = 0; r < chunk.rows; ++r) {
          const std::int64_t j = chunk.neurons[r];
          // A one-pixel window holds the start pixel of every channel: entry = channel.
          const std::int64_t e = at_start.window.spatial && !at_start.window.full() ? j / image : j;
          row_of<T>(at_start.side(s), at_start, chunk, b, r)[e] = T(1);
        }
      }
    });
  }
}

}  // namespace bf
