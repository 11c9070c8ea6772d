// A dense, C-order tensor with shared, 64-byte aligned storage. Copies share the
// buffer (constants and weights are never copied by accident); clone() copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/error.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace bf {

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor.
  Tensor(DType dtype, Shape shape);

  template <typename T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);
  template <typename T>
  static Tensor scalar(T value) {
    return from_vector<T>({}, {value});
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t rank() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t numel() const { return numel_; }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel_) * dtype_size(dtype_); }
  bool defined() const { return storage_ != nullptr; }

  template <typename T>
  const T* data() const {
    check_type(dtype_of<T>());
    return static_cast<const T*>(storage_.get());
  }
  template <typename T>
  T* mutable_data() {
    check_type(dtype_of<T>());
    return static_cast<T*>(storage_.get());
  }
  const void* raw_data() const { return storage_.get(); }
  void* raw_mutable_data() { return storage_.get(); }

  template <typename T>
  std::vector<T> to_vector() const {
    const T* p = data<T>();
    return std::vector<T>(p, p + numel_);
  }

  // Deep copy.
  Tensor clone() const;
  // Same storage, new shape of equal element count.
  Tensor reshaped(Shape shape) const;
  // Numeric conversion to another dtype (a copy).
  Tensor cast(DType to) const;
  // Integer view for shape-computing constants; accepts any dtype, rejects non-integral floats.
  std::vector<std::int64_t> to_int64_vector() const;
  // Every element as double (for comparisons, printing, attribute extraction).
  std::vector<double> to_double_vector() const;

  // Same dtype, shape and bytes.
  bool bitwise_equal(const Tensor& other) const;

 private:
  void check_type(DType requested) const;

  DType dtype_ = DType::F32;
  Shape shape_;
  std::int64_t numel_ = 0;
  std::shared_ptr<void> storage_;
};

template <typename T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  BF_CHECK(static_cast<std::int64_t>(values.size()) == t.numel(), ErrorKind::Shape,
           "{} values given for a tensor of shape {}", values.size(), shape_str(t.shape()));
  T* p = t.mutable_data<T>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

// Visits `fn` with a default-constructed value of the C++ type matching `dtype`
// (float, double, int64_t, int32_t, int8_t, uint8_t, bool).
template <typename Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::F32:
      return fn(float{});
    case DType::F64:
      return fn(double{});
    case DType::I64:
      return fn(std::int64_t{});
    case DType::I32:
      return fn(std::int32_t{});
    case DType::I8:
      return fn(std::int8_t{});
    case DType::U8:
      return fn(std::uint8_t{});
    case DType::Bool:
      return fn(bool{});
  }
  fail(ErrorKind::Internal, "unknown dtype");
}

}  // namespace bf
