#include "tensor/shape.h"

#include "support/error.h"

namespace bf {

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::int64_t i = static_cast<std::int64_t>(shape.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * shape[i + 1];
  }
  return strides;
}

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank) {
  std::int64_t a = axis < 0 ? axis + rank : axis;
  BF_CHECK(a >= 0 && a < rank, ErrorKind::Shape, "axis {} out of range for rank {}", axis, rank);
  return a;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    BF_CHECK(da == db || da == 1 || db == 1, ErrorKind::Shape, "shapes {} and {} do not broadcast", shape_str(a),
             shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<std::int64_t> broadcast_strides(const Shape& from, const Shape& to) {
  BF_ASSERT(from.size() <= to.size());
  std::vector<std::int64_t> strides(to.size(), 0);
  auto src = contiguous_strides(from);
  std::size_t offset = to.size() - from.size();
  for (std::size_t i = 0; i < from.size(); ++i) {
    BF_ASSERT(from[i] == to[i + offset] || from[i] == 1);
    strides[i + offset] = from[i] == 1 ? 0 : src[i];
  }
  return strides;
}

}  // namespace bf
