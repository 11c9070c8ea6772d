// Add, Sub, Mul, Div with numpy broadcasting, per sample. Floats follow IEEE
// arithmetic in the operand dtype. Integers (shape-computing chains) must not
// overflow or divide by zero: either is reported instead of wrapping silently.
// Integer Div truncates toward zero, as onnxruntime and the ONNX reference do.
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/index_iter.h"
#include "kernels/kernel_args.h"

namespace bf::kernels {
namespace {

template <typename T>
T apply_int(OpKind op, T x, T y) {
  T r{};
  bool overflow = false;
  switch (op) {
    case OpKind::Add:
      overflow = __builtin_add_overflow(x, y, &r);
      break;
    case OpKind::Sub:
      overflow = __builtin_sub_overflow(x, y, &r);
      break;
    case OpKind::Mul:
      overflow = __builtin_mul_overflow(x, y, &r);
      break;
    case OpKind::Div:
      BF_CHECK(y != 0, ErrorKind::Invalid, "integer division by zero");
      overflow = x == std::numeric_limits<T>::min() && y == T(-1);
      if (!overflow) r = static_cast<T>(x / y);
      break;
    default:
      break;
  }
  BF_CHECK(!overflow, ErrorKind::Invalid, "integer overflow in {}({}, {})", op_name(op), static_cast<std::int64_t>(x),
           static_cast<std::int64_t>(y));
  return r;
}

template <typename T, typename Op>
void broadcast_loop(const KernelArgs& a, Op op) {
  const Shape full = with_batch(a.batch, a.out_shape());
  Strides<3> strides = {batched_broadcast_strides(a.sample_stride(0), a.in_shape(0), a.out_shape()),
                        batched_broadcast_strides(a.sample_stride(1), a.in_shape(1), a.out_shape()),
                        contiguous_strides(full)};
  const T* x = a.in_data<T>(0);
  const T* y = a.in_data<T>(1);
  T* z = a.out_data<T>();
  const std::int64_t len = row_length(full);
  const auto inner = inner_strides(strides);  // named, not bound: clang 14 cannot capture bindings
  const std::int64_t sx = inner[0], sy = inner[1];
  for_each_row(full, strides, [&](const std::array<std::int64_t, 3>& off) {
    const T* xr = x + off[0];
    const T* yr = y + off[1];
    T* zr = z + off[2];
    if (sx == 1 && sy == 1) {
      for (std::int64_t i = 0; i < len; ++i) zr[i] = op(xr[i], yr[i]);
    } else {
      for (std::int64_t i = 0; i < len; ++i) zr[i] = op(xr[i * sx], yr[i * sy]);
    }
  });
}

template <typename T>
void binary_typed(const KernelArgs& a) {
  const OpKind op = a.node.op;
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case OpKind::Add:
        return broadcast_loop<T>(a, [](T x, T y) { return x + y; });
      case OpKind::Sub:
        return broadcast_loop<T>(a, [](T x, T y) { return x - y; });
      case OpKind::Mul:
        return broadcast_loop<T>(a, [](T x, T y) { return x * y; });
      case OpKind::Div:
        return broadcast_loop<T>(a, [](T x, T y) { return x / y; });
      default:
        break;
    }
  } else {
    return broadcast_loop<T>(a, [op](T x, T y) { return apply_int<T>(op, x, y); });
  }
  fail(ErrorKind::Internal, "{} is not a binary arithmetic op", op_name(op));
}

}  // namespace

void eval_binary(const KernelArgs& a) {
  switch (a.dtype(0)) {
    case DType::F32:
      return binary_typed<float>(a);
    case DType::F64:
      return binary_typed<double>(a);
    case DType::I64:
      return binary_typed<std::int64_t>(a);
    case DType::I32:
      return binary_typed<std::int32_t>(a);
    default:
      unsupported_dtype(a, a.dtype(0));
  }
}

}  // namespace bf::kernels
