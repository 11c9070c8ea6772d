// Shared pieces of the fast CROWN backward kernels (linear_fast_kernels.cpp,
// backward_conv_kernel.cpp): buffer geometry, the sides of a chunk, window
// runs, and small vector loops. Internal to runtime/compiled.
#pragma once

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "bound/linear/linear_geometry.h"
#include "kernels/interval/centre_radius.h"
#include "planner/plan_bundle.h"
#include "runtime/compiled/lowered_task.h"

namespace bf::fast_linear {

inline const BufferSpec& spec_of(const PlanBundle& plan, BufferId b) {
  return plan.storage.logical_buffers.at(static_cast<std::size_t>(b));
}

// Geometry of a Linear buffer.
struct Geo {
  LinearWindow w;
  Shape shape;
  std::int64_t elements = 0;
};

inline Geo geo_of(const PlanBundle& plan, BufferId b) {
  const BufferSpec& s = spec_of(plan, b);
  return {s.window, plan.graph->type(s.value).shape, s.shape.at(1)};
}

inline bool same_geometry(const Geo& a, const Geo& b) { return a.w == b.w && a.elements == b.elements; }

inline std::vector<float> floats_of(const Tensor& t) {
  const Tensor f = t.dtype() == DType::F32 ? t : t.cast(DType::F32);
  return f.to_vector<float>();
}

// sum_i a[i] * b[i] with four AVX accumulators.
inline float dot(const float* a, const float* b, std::int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float r = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}

// sum_i a[i] with four AVX accumulators (a scalar chain of adds waits on
// each add's latency: it took 12% of cnn_small's CROWN in add_bias).
inline float sum(const float* a, std::int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(_mm256_loadu_ps(a + i), s0);
    s1 = _mm256_add_ps(_mm256_loadu_ps(a + i + 8), s1);
    s2 = _mm256_add_ps(_mm256_loadu_ps(a + i + 16), s2);
    s3 = _mm256_add_ps(_mm256_loadu_ps(a + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_add_ps(_mm256_loadu_ps(a + i), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float r = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; ++i) r += a[i];
  return r;
}

// sum_i a[i] * c_i and sum_i |a[i]| * r_i for the box [l, u] (c, r its centre and radius).
inline void box_dots(const float* a, const float* l, const float* u, std::int64_t n, float& sum, float& spread) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), p0 = _mm256_setzero_ps(), p1 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a0 = _mm256_loadu_ps(a + i), a1 = _mm256_loadu_ps(a + i + 8);
    const __m256 l0 = _mm256_loadu_ps(l + i), l1 = _mm256_loadu_ps(l + i + 8);
    const __m256 u0 = _mm256_loadu_ps(u + i), u1 = _mm256_loadu_ps(u + i + 8);
    s0 = _mm256_fmadd_ps(a0, centre_of8(l0, u0), s0);
    s1 = _mm256_fmadd_ps(a1, centre_of8(l1, u1), s1);
    p0 = _mm256_fmadd_ps(_mm256_andnot_ps(sign, a0), radius_of8(l0, u0), p0);
    p1 = _mm256_fmadd_ps(_mm256_andnot_ps(sign, a1), radius_of8(l1, u1), p1);
  }
  alignas(32) float ls[8], lp[8];
  _mm256_store_ps(ls, _mm256_add_ps(s0, s1));
  _mm256_store_ps(lp, _mm256_add_ps(p0, p1));
  float s = 0.0f, p = 0.0f;
  for (int k = 0; k < 8; ++k) {
    s += ls[k];
    p += lp[k];
  }
  for (; i < n; ++i) {
    s += a[i] * centre_of(l[i], u[i]);
    p += std::fabs(a[i]) * radius_of(l[i], u[i]);
  }
  sum += s;
  spread += p;
}

// Skipping a sample's zero columns (after a ReLU) packs W's rows for that
// sample: it pays where a sample has many rows (alpha-CROWN's intermediate
// sweeps), not where a chunk holds many samples of a few rows each (branch
// and bound's domains, 9 spec rows each: one product over the whole chunk is
// several times faster there, measured on mnist 256x4).
inline constexpr std::int64_t kMinRowsPerSampleToSkipColumns = 32;
inline bool rows_per_sample_at_least(const SweepChunk& c, std::int64_t rows) {
  std::int64_t groups = 0;
  for (std::int64_t r = 0; r < c.rows; ++r) groups += r == 0 || c.samples[r] != c.samples[r - 1];
  return c.rows >= rows * groups;
}

inline std::vector<int> sides_of(const SweepChunk& c) {
  std::vector<int> s;
  if (c.lower) s.push_back(0);
  if (c.upper) s.push_back(1);
  return s;
}

inline float* side_ptr(const void* lower, const void* upper, int s) {
  return static_cast<float*>(const_cast<void*>(s == 0 ? lower : upper));
}

// For a window row at origin (oh, ow): the columns j in [j0, j1) of window row
// i that fall inside the image (empty when the row is outside).
struct Run {
  std::int64_t j0, j1;
};
inline Run run_of(const LinearWindow& w, RowOrigin o, std::int64_t i) {
  const std::int64_t h = o.h + i;
  if (h < 0 || h >= w.height) return {0, 0};
  return {std::max<std::int64_t>(0, -o.w), std::min<std::int64_t>(w.win_w, w.width - o.w)};
}

// dst[0, n) += src[0, n) for short runs (a kernel's line, 3 or 4 wide on the
// shared networks): whole vectors where they fit.
inline void add_short(float* dst, const float* src, std::int64_t n) {
  if (n == 4) {
    _mm_storeu_ps(dst, _mm_add_ps(_mm_loadu_ps(dst), _mm_loadu_ps(src)));
    return;
  }
  for (; n >= 8; n -= 8, dst += 8, src += 8)
    _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_loadu_ps(dst), _mm256_loadu_ps(src)));
  // (AVX's masked stores cost more than a few scalar adds on the machines measured.)
  for (std::int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

// Whether a window row at origin o lies wholly inside the image (nothing to mask).
inline bool inside(const LinearWindow& w, RowOrigin o) {
  return o.h >= 0 && o.w >= 0 && o.h + w.win_h <= w.height && o.w + w.win_w <= w.width;
}

}  // namespace bf::fast_linear
