#include "tensor/tensor.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace bf {
namespace {

std::shared_ptr<void> allocate_aligned(std::size_t bytes) {
  constexpr std::size_t kAlign = 64;
  std::size_t padded = (std::max<std::size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, padded);
  if (!p) fail(ErrorKind::Internal, "out of memory allocating {} bytes", bytes);
  std::memset(p, 0, padded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (auto d : shape_) {
    BF_CHECK(d >= 0, ErrorKind::Shape, "negative dimension in shape {}", shape_str(shape_));
  }
  numel_ = bf::numel(shape_);
  storage_ = allocate_aligned(nbytes());
}

void Tensor::check_type(DType requested) const {
  BF_CHECK(requested == dtype_, ErrorKind::Internal, "tensor holds {} but was read as {}", dtype_name(dtype_),
           dtype_name(requested));
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.storage_.get(), storage_.get(), nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  BF_CHECK(bf::numel(shape) == numel_, ErrorKind::Shape, "cannot reshape {} to {}", shape_str(shape_),
           shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::cast(DType to) const {
  Tensor out(to, shape_);
  visit_dtype(dtype_, [&](auto src_tag) {
    using S = decltype(src_tag);
    const S* src = static_cast<const S*>(storage_.get());
    visit_dtype(to, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      D* dst = static_cast<D*>(out.storage_.get());
      for (std::int64_t i = 0; i < numel_; ++i) dst[i] = static_cast<D>(src[i]);
    });
  });
  return out;
}

std::vector<std::int64_t> Tensor::to_int64_vector() const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(numel_));
  visit_dtype(dtype_, [&](auto tag) {
    using S = decltype(tag);
    const S* src = static_cast<const S*>(storage_.get());
    for (std::int64_t i = 0; i < numel_; ++i) {
      if constexpr (std::is_floating_point_v<S>) {
        BF_CHECK(std::nearbyint(src[i]) == src[i], ErrorKind::Invalid, "expected an integer value, got {}", src[i]);
      }
      out[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(src[i]);
    }
  });
  return out;
}

std::vector<double> Tensor::to_double_vector() const {
  std::vector<double> out(static_cast<std::size_t>(numel_));
  visit_dtype(dtype_, [&](auto tag) {
    using S = decltype(tag);
    const S* src = static_cast<const S*>(storage_.get());
    for (std::int64_t i = 0; i < numel_; ++i) out[static_cast<std::size_t>(i)] = static_cast<double>(src[i]);
  });
  return out;
}

bool Tensor::bitwise_equal(const Tensor& other) const {
  if (dtype_ != other.dtype_ || shape_ != other.shape_) return false;
  return nbytes() == 0 || std::memcmp(storage_.get(), other.storage_.get(), nbytes()) == 0;
}

}  // namespace bf
