#include "frontend/onnx/tensor_proto.h"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cstring>
#include <limits>
#include <type_traits>

#include "frontend/onnx/onnx_importer.h"
#include "support/error.h"
#include "support/file_io.h"

namespace bf {
namespace onnx_import {

std::optional<DType> dtype_from_onnx(std::int32_t onnx_type) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT:
      return DType::F32;
    case onnx::TensorProto::DOUBLE:
      return DType::F64;
    case onnx::TensorProto::INT64:
      return DType::I64;
    case onnx::TensorProto::INT32:
      return DType::I32;
    case onnx::TensorProto::INT8:
      return DType::I8;
    case onnx::TensorProto::UINT8:
      return DType::U8;
    case onnx::TensorProto::BOOL:
      return DType::Bool;
    default:
      return std::nullopt;
  }
}

std::string onnx_dtype_name(std::int32_t onnx_type) {
  if (onnx::TensorProto::DataType_IsValid(onnx_type)) {
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(onnx_type));
  }
  return "type " + std::to_string(onnx_type);
}

DType require_dtype_from_onnx(std::int32_t onnx_type, const std::string& what) {
  auto dtype = dtype_from_onnx(onnx_type);
  if (!dtype)
    fail(ErrorKind::Unsupported, "{} has data type {}, which is not supported", what, onnx_dtype_name(onnx_type));
  return *dtype;
}

std::int64_t checked_numel(const Shape& shape, const std::string& what) {
  std::int64_t n = 1;
  for (auto d : shape) {
    BF_CHECK(d >= 0, ErrorKind::Invalid, "{} has a negative dimension in shape {}", what, shape_str(shape));
    BF_CHECK(!__builtin_mul_overflow(n, d, &n), ErrorKind::Invalid, "{} has more elements than fit in 64 bits ({})",
             what, shape_str(shape));
  }
  return n;
}

namespace {

// Copies typed-field values (int32_data holds int32, int8, uint8 and bool) into `out`,
// rejecting values the element type cannot hold instead of wrapping them.
template <typename T, typename Field>
void copy_typed(const Field& field, Tensor& out, const std::string& what) {
  T* dst = out.mutable_data<T>();
  for (int i = 0; i < field.size(); ++i) {
    auto v = field.Get(i);
    if constexpr (std::is_same_v<T, bool>) {
      dst[i] = v != 0;
    } else if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(v)) {
      BF_CHECK(v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max(), ErrorKind::Invalid,
               "{} holds the value {}, outside the range of its data type", what, v);
      dst[i] = static_cast<T>(v);
    } else {
      dst[i] = static_cast<T>(v);
    }
  }
}

}  // namespace
}  // namespace onnx_import

Tensor tensor_from_proto(const onnx::TensorProto& proto) {
  using namespace onnx_import;
  const std::string what = proto.name().empty() ? std::string("tensor") : "tensor '" + proto.name() + "'";
  BF_CHECK(proto.data_location() != onnx::TensorProto::EXTERNAL && proto.external_data_size() == 0,
           ErrorKind::Unsupported, "{} uses external data, which is not supported", what);
  BF_CHECK(!proto.has_segment(), ErrorKind::Unsupported, "{} is segmented, which is not supported", what);
  DType dtype = require_dtype_from_onnx(proto.data_type(), what);
  Shape shape(proto.dims().begin(), proto.dims().end());
  const std::int64_t n = checked_numel(shape, what);

  // Sizes are checked before anything is allocated: a corrupt header cannot ask for terabytes.
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    std::int64_t need = 0;
    bool overflow = __builtin_mul_overflow(n, static_cast<std::int64_t>(dtype_size(dtype)), &need);
    BF_CHECK(!overflow && static_cast<std::size_t>(need) == raw.size(), ErrorKind::Invalid,
             "{} of shape {} and type {} needs {} bytes of raw_data, has {}", what, shape_str(shape),
             onnx_dtype_name(proto.data_type()), overflow ? std::string("too many") : std::to_string(need), raw.size());
    Tensor out(dtype, shape);
    // ONNX stores raw_data little-endian, as is every machine BoundFlow targets.
    static_assert(std::endian::native == std::endian::little);
    if (dtype == DType::Bool) {
      bool* dst = out.mutable_data<bool>();
      for (std::int64_t i = 0; i < n; ++i) dst[i] = raw[static_cast<std::size_t>(i)] != 0;
    } else if (!raw.empty()) {
      std::memcpy(out.raw_mutable_data(), raw.data(), raw.size());
    }
    return out;
  }

  int count = 0;
  switch (dtype) {
    case DType::F32:
      count = proto.float_data_size();
      break;
    case DType::F64:
      count = proto.double_data_size();
      break;
    case DType::I64:
      count = proto.int64_data_size();
      break;
    default:
      count = proto.int32_data_size();
      break;  // int32, int8, uint8 and bool share int32_data
  }
  BF_CHECK(count == n, ErrorKind::Invalid, "{} of shape {} holds {} values, expected {}", what, shape_str(shape), count,
           n);
  Tensor out(dtype, shape);
  switch (dtype) {
    case DType::F32:
      copy_typed<float>(proto.float_data(), out, what);
      break;
    case DType::F64:
      copy_typed<double>(proto.double_data(), out, what);
      break;
    case DType::I64:
      copy_typed<std::int64_t>(proto.int64_data(), out, what);
      break;
    case DType::I32:
      copy_typed<std::int32_t>(proto.int32_data(), out, what);
      break;
    case DType::I8:
      copy_typed<std::int8_t>(proto.int32_data(), out, what);
      break;
    case DType::U8:
      copy_typed<std::uint8_t>(proto.int32_data(), out, what);
      break;
    case DType::Bool:
      copy_typed<bool>(proto.int32_data(), out, what);
      break;
  }
  return out;
}

Tensor load_tensor_proto(const std::string& path) {
  try {
    std::string bytes = read_file(path);
    BF_CHECK(!bytes.empty(), ErrorKind::Parse, "empty file");
    onnx::TensorProto proto;
    BF_CHECK(bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), ErrorKind::Unsupported,
             "file of {} bytes is larger than protobuf's 2 GiB limit", bytes.size());
    BF_CHECK(proto.ParseFromString(bytes), ErrorKind::Parse, "not a valid ONNX TensorProto (protobuf parse failed)");
    return tensor_from_proto(proto);
  } catch (Error& e) {
    e.with_file(path);
    throw;
  }
}

}  // namespace bf
