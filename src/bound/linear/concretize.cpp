#include "bound/linear/concretize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bound/linear/backward_util.h"
#include "bound/rounding/rounding.h"
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
      if (t.sound) {
        acc = outward(acc, s,
                      concretize_rounding(c, dtype_of<T>(), at, s, r, box, static_cast<const T*>(bias.side(s))[r]));
      }
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

template <typename T>
T outward(T bound, int side, double error) {
  return side == 0 ? add_down<T>(static_cast<double>(bound), -error) : add_up<T>(static_cast<double>(bound), error);
}
template float outward(float, int, double);
template double outward(double, int, double);

double concretize_rounding(const SweepChunk& c, DType dtype, const LinearView& at, int side, std::int64_t r,
                           IntervalView box, double bias) {
  double mag = 0.0;
  std::int64_t terms = 0;
  visit_real(dtype, [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = numel(at.value_shape);
    const std::int64_t b = c.samples[r];
    const T* xl = static_cast<const T*>(box.lower) + b * n;
    const T* xu = static_cast<const T*>(box.upper) + b * n;
    const T* row = row_of<T>(static_cast<const void*>(at.side(side)), at, r);
    RowCoords coords(at, c);
    coords.set_row(r);
    terms = coords.elements();
    for (std::int64_t e = 0; e < coords.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = coords.value_index(e);
      if (k < 0) continue;
      mag += std::fabs(static_cast<double>(v)) *
             std::max(std::fabs(static_cast<double>(xl[k])), std::fabs(static_cast<double>(xu[k])));
    }
  });
  return rounding_gamma(terms + 4, dtype) * (inflate_double_sum(mag, terms) + std::fabs(bias)) * (1.0 + 0x1p-50) +
         static_cast<double>(2 * (2 * terms + 4)) * underflow_eta(dtype);
}

void concretize_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_input, const BiasView& bias,
                     IntervalView input_box, const ConcretizeTarget& target) {
  visit_real(dtype, [&](auto tag) { concretize_typed<decltype(tag)>(chunk, at_input, bias, input_box, target); });
}

}  // namespace bf
