// Elementwise ops with one activation operand: Neg, Relu, LeakyRelu, Sigmoid,
// Tanh, Clip. Written plainly, one element at a time, in the operand dtype.
// NaN propagates through every one of them (as numpy does in ONNX's reference).
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

template <typename T, typename Fn>
void map(const KernelArgs& a, Fn fn) {
  const std::int64_t n = numel(a.out_shape());
  const T* x = a.in_data<T>(0);
  T* y = a.out_data<T>();
  for (std::int64_t b = 0; b < a.batch; ++b) {
    const T* xb = x + b * a.sample_stride(0);
    T* yb = y + b * n;
    for (std::int64_t i = 0; i < n; ++i) yb[i] = fn(xb[i]);
  }
}

// 1 / (1 + e^-x) without overflow: for x < 0 the equivalent e^x / (1 + e^x).
template <typename T>
T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

template <typename T>
void float_unary(const KernelArgs& a) {
  const auto& attrs = a.node.attrs;
  switch (a.node.op) {
    case OpKind::Neg:
      return map<T>(a, [](T x) { return -x; });
    // `x < 0 ? 0 : x` keeps NaN (the comparison is false) where max(x, 0) might not.
    case OpKind::Relu:
      return map<T>(a, [](T x) { return x < T(0) ? T(0) : x; });
    case OpKind::LeakyRelu: {
      const T alpha = static_cast<T>(attrs.get_float("alpha"));
      return map<T>(a, [alpha](T x) { return x < T(0) ? alpha * x : x; });
    }
    case OpKind::Sigmoid:
      return map<T>(a, [](T x) { return sigmoid(x); });
    case OpKind::Tanh:
      return map<T>(a, [](T x) { return std::tanh(x); });
    case OpKind::Clip: {
      const T lo = static_cast<T>(attrs.get_float("min", -std::numeric_limits<double>::infinity()));
      const T hi = static_cast<T>(attrs.get_float("max", std::numeric_limits<double>::infinity()));
      // min(max(x, lo), hi) as numpy's clip: when lo > hi every element becomes hi.
      return map<T>(a, [lo, hi](T x) {
        const T t = x < lo ? lo : x;
        return t > hi ? hi : t;
      });
    }
    default:
      fail(ErrorKind::Internal, "{} is not a unary elementwise op", op_name(a.node.op));
  }
}

template <typename T>
void int_neg(const KernelArgs& a) {
  map<T>(a, [](T x) {
    BF_CHECK(x != std::numeric_limits<T>::min(), ErrorKind::Invalid, "integer overflow in Neg({})",
             static_cast<std::int64_t>(x));
    return static_cast<T>(-x);
  });
}

}  // namespace

void eval_unary(const KernelArgs& a) {
  switch (a.dtype(0)) {
    case DType::F32:
      return float_unary<float>(a);
    case DType::F64:
      return float_unary<double>(a);
    case DType::I64:
      if (a.node.op == OpKind::Neg) return int_neg<std::int64_t>(a);
      break;
    case DType::I32:
      if (a.node.op == OpKind::Neg) return int_neg<std::int32_t>(a);
      break;
    default:
      break;
  }
  unsupported_dtype(a, a.dtype(0));
}

}  // namespace bf::kernels
