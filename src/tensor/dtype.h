// Element types BoundFlow can hold. Bound computation runs in F32 or F64; the
// integer types exist for shape-computing chains folded at import and for
// constants (Gather indices, Reshape targets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bf {

enum class DType : std::uint8_t { F32, F64, I64, I32, I8, U8, Bool };

std::size_t dtype_size(DType t);
// Short stable names used in dumps: f32 f64 i64 i32 i8 u8 bool.
std::string_view dtype_name(DType t);
bool is_floating(DType t);

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::F32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::F64;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::I64;
}
template <>
constexpr DType dtype_of<std::int32_t>() {
  return DType::I32;
}
template <>
constexpr DType dtype_of<std::int8_t>() {
  return DType::I8;
}
template <>
constexpr DType dtype_of<std::uint8_t>() {
  return DType::U8;
}
template <>
constexpr DType dtype_of<bool>() {
  return DType::Bool;
}

}  // namespace bf
