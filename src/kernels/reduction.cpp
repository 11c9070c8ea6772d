// ReduceSum and ReduceMean over a sorted set of axes, with or without kept
// dimensions (the element order of the result is the same either way). Sums
// accumulate in double and are rounded once to the operand dtype.
#include <algorithm>
#include <vector>

#include "kernels/index_iter.h"
#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

template <typename T>
void reduce_typed(const KernelArgs& a) {
  const auto& axes = a.node.attrs.get_ints("axes");
  const Shape& xs = a.in_shape(0);
  // Output strides over the input's index space: 0 along reduced axes.
  Shape kept = xs;
  for (auto ax : axes) kept[static_cast<std::size_t>(ax)] = 1;
  const std::int64_t out_n = numel(kept);
  std::vector<std::int64_t> out_strides{out_n};
  const auto ks = contiguous_strides(kept);
  for (std::size_t d = 0; d < xs.size(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(d)) != axes.end();
    out_strides.push_back(reduced ? 0 : ks[d]);
  }
  std::vector<std::int64_t> in_strides{a.sample_stride(0)};
  const auto is = contiguous_strides(xs);
  in_strides.insert(in_strides.end(), is.begin(), is.end());
  const Shape full = with_batch(a.batch, xs);
  std::vector<double> acc(static_cast<std::size_t>(a.batch * out_n), 0.0);
  const T* x = a.in_data<T>(0);
  const std::int64_t len = row_length(full);
  Strides<2> strides = {in_strides, out_strides};
  const auto inner = inner_strides(strides);  // named, not bound: clang 14 cannot capture bindings
  const std::int64_t sx = inner[0], sy = inner[1];
  for_each_row(full, strides, [&](const std::array<std::int64_t, 2>& off) {
    for (std::int64_t i = 0; i < len; ++i) {
      acc[static_cast<std::size_t>(off[1] + i * sy)] += static_cast<double>(x[off[0] + i * sx]);
    }
  });
  const double count = static_cast<double>(numel(xs) / std::max<std::int64_t>(out_n, 1));
  const bool mean = a.node.op == OpKind::ReduceMean;
  T* y = a.out_data<T>();
  for (std::size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<T>(mean ? acc[i] / count : acc[i]);
}

}  // namespace

void eval_reduce(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { reduce_typed<decltype(tag)>(a); });
}

}  // namespace bf::kernels
