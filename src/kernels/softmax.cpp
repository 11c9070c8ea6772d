// Softmax over a contiguous run of axes, normalised jointly. Numerically stable:
// the run's maximum is subtracted before exponentiating, so large inputs do not
// overflow. Exponentials in the operand dtype, their sum in double.
#include <cmath>
#include <limits>

#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

template <typename T>
void softmax_typed(const KernelArgs& a) {
  const auto& axes = a.node.attrs.get_ints("axes");
  const Shape& xs = a.in_shape(0);
  const auto first = static_cast<std::size_t>(axes.front());
  const auto last = static_cast<std::size_t>(axes.back());
  std::int64_t outer = a.batch, run = 1, inner = 1;
  for (std::size_t d = 0; d < first; ++d) outer *= xs[d];
  for (std::size_t d = first; d <= last; ++d) run *= xs[d];
  for (std::size_t d = last + 1; d < xs.size(); ++d) inner *= xs[d];
  const T* x = a.in_data<T>(0);
  T* y = a.out_data<T>();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const std::int64_t base = o * run * inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (std::int64_t r = 0; r < run; ++r) {
        const T v = x[base + r * inner];
        if (v > m || std::isnan(v)) m = v;
      }
      double sum = 0.0;
      for (std::int64_t r = 0; r < run; ++r) {
        const T e = std::exp(x[base + r * inner] - m);
        y[base + r * inner] = e;
        sum += static_cast<double>(e);
      }
      for (std::int64_t r = 0; r < run; ++r) {
        y[base + r * inner] = static_cast<T>(static_cast<double>(y[base + r * inner]) / sum);
      }
    }
  }
}

}  // namespace

void eval_softmax(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { softmax_typed<decltype(tag)>(a); });
}

}  // namespace bf::kernels
