#include "bound/linear/concretize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bound/linear/backward_util.h"
#include "kernels/interval/centre_radius.h"

namespace bf {

using namespace linear_detail;

namespace {

template <typename T>
void concretize_typed(const SweepChunk& c, const LinearView& at, const BiasView& bias, IntervalView box,
                      const ConcretizeTarget& t) {
  const std::int64_t n = numel(at.value_shape);
  RowCoords coords(at, c);
  for (std::int64_t r = 0; r < c.rows; ++r) {
    const std::int64_t b = c.samples[r];
    const T* xl = static_cast<const T*>(box.lower) + b * n;
    const T* xu = static_cast<const T*>(box.upper) + b * n;
    coords.set_row(r);
    const std::int64_t out = b * t.numel + c.neurons[r];
    for (int s : sides(c)) {
      const T* row = row_of<T>(static_cast<const void*>(at.side(s)), at, r);
      T acc = static_cast<const T*>(bias.side(s))[r];
      T sum = T(0), spread = T(0);
      for (std::int64_t e = 0; e < coords.elements(); ++e) {
        const T v = row[e];
        if (v == T(0)) continue;
        const std::int64_t k = coords.value_index(e);
        if (k < 0) continue;
        sum += v * centre_of(xl[k], xu[k]);
        spread += std::fabs(v) * radius_of(xl[k], xu[k]);
      }
      acc += s == 0 ? sum - spread : sum + spread;
      T& dst = static_cast<T*>(s == 0 ? t.lower : t.upper)[out];
      dst = !t.tighten ? acc : s == 0 ? std::max(dst, acc) : std::min(dst, acc);
      if (void* e = s == 0 ? t.export_lower : t.export_upper) {
        std::memcpy(static_cast<T*>(e) + c.slots[r] * at.elements, row,
                    static_cast<std::size_t>(at.elements) * sizeof(T));
      }
    }
  }
}

}  // namespace

void concretize_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_input, const BiasView& bias,
                     IntervalView input_box, const ConcretizeTarget& target) {
  visit_real(dtype, [&](auto tag) { concretize_typed<decltype(tag)>(chunk, at_input, bias, input_box, target); });
}

}  // namespace bf
