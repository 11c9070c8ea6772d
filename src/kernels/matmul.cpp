// Gemm, MatMul and Affine. In f32 the matrix products of Gemm, Affine and of a
// MatMul with a 2-D shared right operand run through oneDNN, the batch folded
// into the rows (M) so one primitive call covers every sample. f64 always uses
// the plain loops below: oneDNN has no f64 on CPU. A MatMul whose right operand
// is an activation or has batch dimensions (numpy broadcasting, 1-D operands)
// also uses the plain loops, in either dtype.
#include <algorithm>
#include <array>
#include <type_traits>
#include <vector>

#include "kernels/dnnl_ops.h"
#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

using Strides3 = std::array<std::int64_t, 3>;

// c[b] = a[b] x w[b], as DnnlMatmul describes, accumulated in double.
template <typename T>
void matmul_loops(std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n, const T* a, Strides3 sa,
                  const T* w, Strides3 sw, T* c) {
  std::vector<double> acc(static_cast<std::size_t>(n));
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < m; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (std::int64_t p = 0; p < k; ++p) {
        const double x = a[b * sa[0] + i * sa[1] + p * sa[2]];
        const T* wrow = w + b * sw[0] + p * sw[1];
        for (std::int64_t j = 0; j < n; ++j)
          acc[static_cast<std::size_t>(j)] += x * static_cast<double>(wrow[j * sw[2]]);
      }
      T* crow = c + (b * m + i) * n;
      for (std::int64_t j = 0; j < n; ++j) crow[j] = static_cast<T>(acc[static_cast<std::size_t>(j)]);
    }
  }
}

// Chooses oneDNN for f32 (when there is something to multiply) and the loops otherwise.
template <typename T>
void matmul(std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n, const T* a, Strides3 sa, const T* w,
            Strides3 sw, T* c) {
  if constexpr (std::is_same_v<T, float>) {
    if (k > 0) {
      dnnl_matmul_f32({batch, m, k, n, a, sa, w, sw, nullptr, c});
      return;
    }
  }
  matmul_loops<T>(batch, m, k, n, a, sa, w, sw, c);
}

template <typename T>
void gemm_typed(const KernelArgs& a) {
  const auto& attrs = a.node.attrs;
  const bool ta = attrs.get_int("transA", 0) != 0;
  const bool tb = attrs.get_int("transB", 0) != 0;
  const T alpha = static_cast<T>(attrs.get_float("alpha", 1.0));
  const T beta = static_cast<T>(attrs.get_float("beta", 1.0));
  const Shape& as = a.in_shape(0);
  const Shape& bs = a.in_shape(1);
  const std::int64_t m = ta ? as[1] : as[0], k = ta ? as[0] : as[1], n = tb ? bs[0] : bs[1];
  const Strides3 sa = ta ? Strides3{a.sample_stride(0), 1, m} : Strides3{a.sample_stride(0), k, 1};
  const Strides3 sb = tb ? Strides3{a.sample_stride(1), 1, k} : Strides3{a.sample_stride(1), n, 1};
  T* y = a.out_data<T>();
  if (!ta && sb[0] == 0) {
    // Every sample's A stacked is one [batch*m, k] matrix.
    matmul<T>(1, a.batch * m, k, n, a.in_data<T>(0), {0, k, 1}, a.in_data<T>(1), sb, y);
  } else {
    matmul<T>(a.batch, m, k, n, a.in_data<T>(0), sa, a.in_data<T>(1), sb, y);
  }
  // y = alpha * (A x B) + beta * C, in the order ONNX's reference evaluates it.
  const Shape out{m, n};
  std::vector<std::int64_t> cs = a.has(2) ? broadcast_strides(a.in_shape(2), out) : std::vector<std::int64_t>{};
  const T* cdata = a.has(2) ? a.in_data<T>(2) : nullptr;
  for (std::int64_t b = 0; b < a.batch; ++b) {
    for (std::int64_t i = 0; i < m; ++i) {
      T* row = y + (b * m + i) * n;
      if (alpha != T(1)) {
        for (std::int64_t j = 0; j < n; ++j) row[j] = alpha * row[j];
      }
      if (cdata) {
        for (std::int64_t j = 0; j < n; ++j) row[j] += beta * cdata[i * cs[0] + j * cs[1]];
      }
    }
  }
}

template <typename T>
void affine_typed(const KernelArgs& a) {
  const Shape& ws = a.in_shape(1);
  const std::int64_t n = ws[0], k = ws[1];
  const Shape& xs = a.in_shape(0);
  const std::int64_t rows = a.batch * numel(Shape(xs.begin(), xs.end() - 1));
  const T* bias = a.has(2) ? a.in_data<T>(2) : nullptr;
  T* y = a.out_data<T>();
  // W is [n, k]: read transposed, W^T[p, j] = W[j * k + p].
  if constexpr (std::is_same_v<T, float>) {
    if (k > 0) {
      dnnl_matmul_f32({1, rows, k, n, a.in_data<T>(0), {0, k, 1}, a.in_data<T>(1), {0, 1, k}, bias, y});
      return;
    }
  }
  matmul_loops<T>(1, rows, k, n, a.in_data<T>(0), {0, k, 1}, a.in_data<T>(1), {0, 1, k}, y);
  if (bias) {
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < n; ++j) y[i * n + j] += bias[j];
    }
  }
}

// numpy matmul of one sample: 1-D operands promoted (and the unit dimension
// dropped from the result), batch dimensions broadcast.
template <typename T>
void matmul_general(const Shape& a_shape, const T* a, const Shape& b_shape, const T* b, T* y) {
  Shape as = a_shape, bs = b_shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const std::int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  const Shape out_batch = broadcast_shapes(a_batch, b_batch);
  const auto a_bs = broadcast_strides(a_batch, out_batch), b_bs = broadcast_strides(b_batch, out_batch);
  const std::int64_t count = numel(out_batch);
  std::vector<std::int64_t> idx(out_batch.size(), 0);
  for (std::int64_t t = 0; t < count; ++t) {
    std::int64_t ao = 0, bo = 0;
    for (std::size_t d = 0; d < idx.size(); ++d) {
      ao += idx[d] * a_bs[d];
      bo += idx[d] * b_bs[d];
    }
    matmul_loops<T>(1, m, k, n, a + ao * m * k, {0, k, 1}, b + bo * k * n, {0, n, 1}, y + t * m * n);
    for (std::int64_t d = static_cast<std::int64_t>(idx.size()) - 1; d >= 0; --d) {
      const auto du = static_cast<std::size_t>(d);
      if (++idx[du] < out_batch[du]) break;
      idx[du] = 0;
    }
  }
}

template <typename T>
void matmul_typed(const KernelArgs& a) {
  const Shape& as = a.in_shape(0);
  const Shape& bs = a.in_shape(1);
  T* y = a.out_data<T>();
  if (bs.size() == 2 && (a.sample_stride(1) == 0 || a.batch == 1)) {
    // [batch, ..., m, k] x [k, n]: all leading dimensions fold into the rows.
    const std::int64_t k = bs[0], n = bs[1];
    const std::int64_t rows = a.batch * numel(Shape(as.begin(), as.end() - 1));
    matmul<T>(1, rows, k, n, a.in_data<T>(0), {0, k, 1}, a.in_data<T>(1), {0, n, 1}, y);
    return;
  }
  const std::int64_t out_n = numel(a.out_shape());
  for (std::int64_t b = 0; b < a.batch; ++b) {
    matmul_general<T>(as, a.in_data<T>(0) + b * a.sample_stride(0), bs, a.in_data<T>(1) + b * a.sample_stride(1),
                      y + b * out_n);
  }
}

}  // namespace

void eval_gemm(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { gemm_typed<decltype(tag)>(a); });
}

void eval_affine(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { affine_typed<decltype(tag)>(a); });
}

void eval_matmul(const KernelArgs& a) {
  visit_float(a, [&](auto tag) { matmul_typed<decltype(tag)>(a); });
}

}  // namespace bf::kernels
