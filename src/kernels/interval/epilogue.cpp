#include "kernels/interval/epilogue.h"

#include <immintrin.h>

#include <cmath>

#include "kernels/interval/activation_fns.h"
#include "kernels/interval/centre_radius.h"
#include "support/error.h"

namespace bf {
namespace {

using interval_detail::with_activation;

template <typename Fn>
void apply_with(Fn fn, float* data, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(data + i, fn(_mm256_loadu_ps(data + i)));
  for (; i < n; ++i) data[i] = fn(data[i]);
}

template <typename Fn>
void to_bounds_with(Fn fn, const float* centre, const float* radius, float* lower, float* upper, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 c = _mm256_loadu_ps(centre + i), r = _mm256_loadu_ps(radius + i);
    const __m256 lo = fn(_mm256_sub_ps(c, r)), hi = fn(_mm256_add_ps(c, r));
    _mm256_storeu_ps(lower + i, lo);
    _mm256_storeu_ps(upper + i, hi);
  }
  for (; i < n; ++i) {
    const float c = centre[i], r = radius[i];
    lower[i] = fn(c - r);
    upper[i] = fn(c + r);
  }
}

// As to_bounds_with, the centre of column j first offset by bias[j]: c + b is the
// one rounding a fused bias add would make too.
template <typename Fn>
void bias_to_bounds_with(Fn fn, const float* centre, const float* radius, const float* bias, float* lower, float* upper,
                         std::int64_t rows, std::int64_t cols) {
  for (std::int64_t m = 0; m < rows; ++m) {
    const float* cm = centre + m * cols;
    const float* rm = radius + m * cols;
    float* lm = lower + m * cols;
    float* um = upper + m * cols;
    std::int64_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      const __m256 c = _mm256_add_ps(_mm256_loadu_ps(cm + j), _mm256_loadu_ps(bias + j));
      const __m256 r = _mm256_loadu_ps(rm + j);
      const __m256 lo = fn(_mm256_sub_ps(c, r)), hi = fn(_mm256_add_ps(c, r));
      _mm256_storeu_ps(lm + j, lo);
      _mm256_storeu_ps(um + j, hi);
    }
    for (; j < cols; ++j) {
      const float c = cm[j] + bias[j], r = rm[j];
      lm[j] = fn(c - r);
      um[j] = fn(c + r);
    }
  }
}

}  // namespace

Epilogue Epilogue::leaky_relu(float alpha) {
  BF_CHECK(alpha >= 0.0f, ErrorKind::Unsupported,
           "LeakyRelu with alpha {} is not monotone and cannot be fused as an interval epilogue", alpha);
  Epilogue e{LeakyRelu};
  e.alpha = alpha;
  return e;
}

Epilogue Epilogue::clip(float min, float max) {
  Epilogue e{Clip};
  e.min = min;
  e.max = max;
  return e;
}

const char* epilogue_name(Epilogue::Kind kind) {
  switch (kind) {
    case Epilogue::None:
      return "none";
    case Epilogue::Relu:
      return "relu";
    case Epilogue::LeakyRelu:
      return "leaky_relu";
    case Epilogue::Sigmoid:
      return "sigmoid";
    case Epilogue::Tanh:
      return "tanh";
    case Epilogue::Clip:
      return "clip";
  }
  return "unknown";
}

bool is_fusable_activation(const Node& node) {
  switch (node.op) {
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
      return true;
    case OpKind::LeakyRelu:
      return static_cast<float>(node.attrs.get_float("alpha")) >= 0.0f;
    default:
      return false;
  }
}

Epilogue epilogue_from_node(const Node& node) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (node.op) {
    case OpKind::Relu:
      return Epilogue::relu();
    case OpKind::LeakyRelu:
      return Epilogue::leaky_relu(static_cast<float>(node.attrs.get_float("alpha")));
    case OpKind::Sigmoid:
      return Epilogue::sigmoid();
    case OpKind::Tanh:
      return Epilogue::tanh();
    case OpKind::Clip:
      return Epilogue::clip(static_cast<float>(node.attrs.get_float("min", -kInf)),
                            static_cast<float>(node.attrs.get_float("max", kInf)));
    default:
      fail(ErrorKind::Unsupported, "{} cannot be fused as an interval epilogue", op_name(node.op));
  }
}

void apply_epilogue(const Epilogue& epilogue, float* data, std::int64_t n) {
  if (epilogue.kind == Epilogue::None) return;
  with_activation(epilogue, [&](auto fn) { apply_with(fn, data, n); });
}

void bounds_to_centre_radius(const float* lower, const float* upper, float* centre, float* radius, std::int64_t n) {
  // The shared centre-radius form (centre_radius.h), eight lanes at a time.
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 l = _mm256_loadu_ps(lower + i), u = _mm256_loadu_ps(upper + i);
    _mm256_storeu_ps(centre + i, centre_of8(l, u));
    _mm256_storeu_ps(radius + i, radius_of8(l, u));
  }
  for (; i < n; ++i) {
    const float l = lower[i], u = upper[i];
    centre[i] = centre_of(l, u);
    radius[i] = radius_of(l, u);
  }
}

void centre_radius_to_bounds(const Epilogue& epilogue, const float* centre, const float* radius, float* lower,
                             float* upper, std::int64_t n) {
  with_activation(epilogue, [&](auto fn) { to_bounds_with(fn, centre, radius, lower, upper, n); });
}

void centre_radius_bias_to_bounds(const Epilogue& epilogue, const float* centre, const float* radius, const float* bias,
                                  float* lower, float* upper, std::int64_t rows, std::int64_t cols) {
  with_activation(epilogue, [&](auto fn) { bias_to_bounds_with(fn, centre, radius, bias, lower, upper, rows, cols); });
}

}  // namespace bf
