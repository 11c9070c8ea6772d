// Internal to bf_interval_kernels: every epilogue activation as a functor with a
// scalar form (the formula of kernels/unary.cpp) and, where an exact one exists,
// an eight-lane AVX2 form; and with_activation(), which hands a kernel the functor
// of an Epilogue so its loops are compiled once per activation.
#pragma once

#include <immintrin.h>

#include <cmath>

#include "kernels/interval/epilogue.h"
#include "support/error.h"

namespace bf::interval_detail {

// Each activation as a scalar function (the formula of kernels/unary.cpp) and an
// eight-lane one giving the same bits: _CMP_LT_OQ / _CMP_GT_OQ are false for NaN, like
// the C++ comparisons, so blends keep NaN exactly where the ternaries do; Sigmoid and
// Tanh have no exact vector formula and run their scalar form lane by lane.
template <typename Fn>
__m256 lane_by_lane(const Fn& fn, __m256 x) {
  alignas(32) float t[8];
  _mm256_store_ps(t, x);
  for (float& v : t) v = fn(v);
  return _mm256_load_ps(t);
}

struct Identity {
  float operator()(float x) const { return x; }
  __m256 operator()(__m256 x) const { return x; }
};

struct ReluFn {
  float operator()(float x) const { return x < 0.0f ? 0.0f : x; }
  __m256 operator()(__m256 x) const {
    const __m256 zero = _mm256_setzero_ps();
    return _mm256_blendv_ps(x, zero, _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
  }
};

struct LeakyReluFn {
  float alpha;
  float operator()(float x) const { return x < 0.0f ? alpha * x : x; }
  __m256 operator()(__m256 x) const {
    const __m256 scaled = _mm256_mul_ps(_mm256_set1_ps(alpha), x);
    return _mm256_blendv_ps(x, scaled, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  }
};

struct ClipFn {
  float lo, hi;
  float operator()(float x) const {
    const float t = x < lo ? lo : x;
    return t > hi ? hi : t;
  }
  __m256 operator()(__m256 x) const {
    const __m256 l = _mm256_set1_ps(lo), h = _mm256_set1_ps(hi);
    const __m256 t = _mm256_blendv_ps(x, l, _mm256_cmp_ps(x, l, _CMP_LT_OQ));
    return _mm256_blendv_ps(t, h, _mm256_cmp_ps(t, h, _CMP_GT_OQ));
  }
};

// 1 / (1 + e^-x) without overflow, e^x / (1 + e^x) for x < 0: as kernels/unary.cpp.
struct SigmoidFn {
  float operator()(float x) const {
    if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.0f + e);
  }
  __m256 operator()(__m256 x) const { return lane_by_lane(*this, x); }
};

struct TanhFn {
  float operator()(float x) const { return std::tanh(x); }
  __m256 operator()(__m256 x) const { return lane_by_lane(*this, x); }
};

// Calls body(fn) with the functor of the epilogue's kind.
template <typename Body>
void with_activation(const Epilogue& e, Body&& body) {
  switch (e.kind) {
    case Epilogue::None:
      return body(Identity{});
    case Epilogue::Relu:
      return body(ReluFn{});
    case Epilogue::LeakyRelu:
      return body(LeakyReluFn{e.alpha});
    case Epilogue::Sigmoid:
      return body(SigmoidFn{});
    case Epilogue::Tanh:
      return body(TanhFn{});
    case Epilogue::Clip:
      return body(ClipFn{e.min, e.max});
  }
  fail(ErrorKind::Internal, "unknown epilogue kind {}", static_cast<int>(e.kind));
}

}  // namespace bf::interval_detail
