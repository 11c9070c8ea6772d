// Static shapes and the index arithmetic every module shares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bf {

using Shape = std::vector<std::int64_t>;

std::int64_t numel(const Shape& shape);
// "[1,784]"; a scalar is "[]".
std::string shape_str(const Shape& shape);
// Element strides of a C-order (row-major) contiguous tensor.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);
// Maps a possibly negative axis into [0, rank); throws bf::Error(Shape) when out of range.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank);
// Numpy broadcasting of two shapes; throws bf::Error(Shape) when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);
// Strides to read `from` as if broadcast to `to` (0 on broadcast dimensions);
// `from` is right-aligned against `to` as in numpy.
std::vector<std::int64_t> broadcast_strides(const Shape& from, const Shape& to);

}  // namespace bf
