#include "bound/linear/sweep_steps.h"

#include <cstring>

#include "bound/linear/backward_util.h"

namespace bf {

using namespace linear_detail;

void select_rows(SweepRows policy, DType dtype, std::int64_t batch, std::int64_t elements, IntervalView reference,
                 SweepRowsView rows) {
  std::int64_t count = 0;
  auto add = [&](std::int64_t b, std::int64_t j) {
    rows.neurons()[count] = j;
    rows.samples()[count] = b;
    rows.slots()[count] = count;
    ++count;
  };
  if (policy == SweepRows::All) {
    for (std::int64_t b = 0; b < batch; ++b) {
      for (std::int64_t j = 0; j < elements; ++j) add(b, j);
    }
  } else {
    visit_real(dtype, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t b = 0; b < batch; ++b) {
        const T* l = static_cast<const T*>(reference.lower) + b * elements;
        const T* u = static_cast<const T*>(reference.upper) + b * elements;
        std::int64_t unstable = 0;
        for (std::int64_t j = 0; j < elements; ++j) unstable += (l[j] < T(0) && u[j] > T(0)) ? 1 : 0;
        const bool dense = static_cast<double>(unstable) > kDenseRowFraction * static_cast<double>(elements);
        for (std::int64_t j = 0; j < elements; ++j) {
          if (dense || (l[j] < T(0) && u[j] > T(0))) add(b, j);
        }
      }
    });
  }
  rows.set_count(count);
}

void seed_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_start, const BiasView& bias) {
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(dtype));
  const std::int64_t image = at_start.window.spatial ? at_start.window.height * at_start.window.width : 1;
  for (int s : sides(chunk)) {
    std::memset(at_start.side(s), 0, static_cast<std::size_t>(chunk.row_capacity * at_start.elements * elem));
    std::memset(bias.side(s), 0, static_cast<std::size_t>(chunk.row_capacity * elem));
    visit_real(dtype, [&](auto tag) {
      using T = decltype(tag);
      for (std::int64_t r = 0; r < chunk.rows; ++r) {
        const std::int64_t j = chunk.neurons[r];
        // A one-pixel window holds the start pixel of every channel: entry = channel.
        const std::int64_t e = at_start.window.spatial && !at_start.window.full() ? j / image : j;
        row_of<T>(at_start.side(s), at_start, r)[e] = T(1);
      }
    });
  }
}

}  // namespace bf
