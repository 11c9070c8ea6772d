#include "bound/linear/beta_steps.h"

#include <algorithm>
#include <cmath>

#include "support/error.h"
#include "support/row_parallel.h"

namespace bf {
namespace {

void check_rows(const LinearView& v, const AlphaView& p, const BranchElements& at, const char* what) {
  BF_CHECK(v.elements == at.value_elements && p.elements == at.count && p.params == 1, ErrorKind::Internal,
           "{}: rows of {} elements and {} parameters, the value has {} and {} branch elements", what, v.elements,
           p.elements, at.value_elements, at.count);
}

template <typename T>
void apply_beta_typed(const SweepChunk& c, const LinearView& a, const AlphaView& beta, IntervalView z,
                      const BranchElements& at) {
  const std::int64_t n = at.value_elements;
  const T* lo = static_cast<const T*>(z.lower);
  const T* hi = static_cast<const T*>(z.upper);
  for (int s = 0; s < 2; ++s) {
    if (a.side(s) == nullptr) continue;
    // Lower side: k <= 0 where z >= 0 holds, k >= 0 where z <= 0 holds; upper side mirrored.
    const T sign = s == 0 ? T(1) : T(-1);
    for_each_row(c.rows, at.count, [&](std::int64_t r) {
      T* ar = static_cast<T*>(a.side(s)) + r * a.elements;
      T* k = beta.row<T>(s, c.slots[r]);
      const T* l = lo + c.samples[r] * n;
      const T* u = hi + c.samples[r] * n;
      for (std::int64_t j = 0; j < at.count; ++j) {
        if (k[j] == T(0)) continue;  // the usual case: no multiplier here
        const std::int64_t e = at.elements[j];
        const T v = k[j] == k[j] ? sign * k[j] : T(0);  // in the lower side's terms; NaN is 0
        T w = T(0);
        if (l[e] >= T(0)) {
          w = std::min(v, T(0));
        } else if (u[e] <= T(0)) {
          w = std::max(v, T(0));
        }
        k[j] = sign * w;
        ar[e] += sign * w;
      }
    });
  }
}

template <typename T>
void beta_gradient_typed(const SweepChunk& c, const LinearView& d, const AlphaView& grad, const BranchElements& at) {
  for (int s = 0; s < 2; ++s) {
    if (d.side(s) == nullptr) continue;
    for_each_row(c.rows, at.count, [&](std::int64_t r) {
      const T* dr = static_cast<const T*>(d.side(s)) + r * d.elements;
      T* g = grad.row<T>(s, c.slots[r]);
      for (std::int64_t j = 0; j < at.count; ++j) g[j] = dr[at.elements[j]];
    });
  }
}

template <typename T>
void branch_scores_typed(const SweepChunk& c, const LinearView& a, IntervalView z, const AlphaView& score,
                         const BranchElements& at) {
  const std::int64_t n = at.value_elements;
  const T* lo = static_cast<const T*>(z.lower);
  const T* hi = static_cast<const T*>(z.upper);
  // The chords' intercepts (0 where stable), once per sample (its rows come
  // together), then each row's scores from them.
  std::vector<T> icpt(static_cast<std::size_t>(c.rows > 0 ? c.batch * at.count : 0));
  std::vector<char> done(static_cast<std::size_t>(c.batch), 0);
  for (std::int64_t r = 0; r < c.rows; ++r) {
    const std::int64_t b = c.samples[r];
    BF_CHECK(b >= 0 && b < c.batch, ErrorKind::Internal, "branch scores: row {} of sample {} in a batch of {}", r, b,
             c.batch);
    if (done[static_cast<std::size_t>(b)]) continue;
    done[static_cast<std::size_t>(b)] = 1;
    const T* l = lo + b * n;
    const T* u = hi + b * n;
    T* ib = icpt.data() + b * at.count;
    for (std::int64_t j = 0; j < at.count; ++j) {
      const std::int64_t e = at.elements[j];
      ib[j] = l[e] < T(0) && u[e] > T(0) ? -l[e] * u[e] / (u[e] - l[e]) : T(0);
    }
  }
  for_each_row(c.rows, at.count, [&](std::int64_t r) {
    const T* ar = static_cast<const T*>(a.lower) + r * a.elements;
    const T* ib = icpt.data() + c.samples[r] * at.count;
    T* out = score.row<T>(0, c.slots[r]);
    for (std::int64_t j = 0; j < at.count; ++j) {
      const T ae = ar[at.elements[j]], ic = ib[j];
      out[j] = ae < T(0) ? -ae * ic : T(1e-6) * ae * ic;
    }
  });
}

}  // namespace

void apply_beta(const SweepChunk& chunk, DType dtype, const LinearView& a_z, const AlphaView& beta, IntervalView z,
                const BranchElements& at) {
  check_rows(a_z, beta, at, "beta");
  if (dtype == DType::F32) {
    apply_beta_typed<float>(chunk, a_z, beta, z, at);
  } else {
    BF_CHECK(dtype == DType::F64, ErrorKind::Internal, "beta: dtype {}", dtype_name(dtype));
    apply_beta_typed<double>(chunk, a_z, beta, z, at);
  }
}

void beta_gradient(const SweepChunk& chunk, DType dtype, const LinearView& d_z, const AlphaView& grad,
                   const BranchElements& at) {
  check_rows(d_z, grad, at, "beta gradient");
  if (dtype == DType::F32) {
    beta_gradient_typed<float>(chunk, d_z, grad, at);
  } else {
    BF_CHECK(dtype == DType::F64, ErrorKind::Internal, "beta gradient: dtype {}", dtype_name(dtype));
    beta_gradient_typed<double>(chunk, d_z, grad, at);
  }
}

void branch_scores(const SweepChunk& chunk, DType dtype, const LinearView& a_out, IntervalView z,
                   const AlphaView& score, const BranchElements& at) {
  check_rows(a_out, score, at, "branch scores");
  BF_CHECK(a_out.lower != nullptr, ErrorKind::Internal, "branch scores need the lower side");
  if (dtype == DType::F32) {
    branch_scores_typed<float>(chunk, a_out, z, score, at);
  } else {
    BF_CHECK(dtype == DType::F64, ErrorKind::Internal, "branch scores: dtype {}", dtype_name(dtype));
    branch_scores_typed<double>(chunk, a_out, z, score, at);
  }
}

}  // namespace bf
