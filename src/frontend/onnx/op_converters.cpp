#include "frontend/onnx/op_converters.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "support/error.h"

namespace bf::onnx_import {

Converter find_converter(std::string_view op_type) {
  static const std::unordered_map<std::string_view, Converter> table = [] {
    std::unordered_map<std::string_view, Converter> t;
    for (auto family : {math_converters(), movement_converters(), constant_converters(), conv_converters()}) {
      for (const auto& e : family) t.emplace(e.op_type, e.convert);
    }
    return t;
  }();
  auto it = table.find(op_type);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace bf::onnx_import

namespace bf::onnx_import {

std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, std::int64_t rank,
                                         const std::string& what) {
  std::vector<std::int64_t> out;
  out.reserve(axes.size());
  for (auto a : axes) {
    BF_CHECK(a >= -rank && a < rank, ErrorKind::Invalid, "{} {} is out of range for rank {}", what, a, rank);
    out.push_back(a < 0 ? a + rank : a);
  }
  std::sort(out.begin(), out.end());
  BF_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), ErrorKind::Invalid, "{} {} repeat an axis", what,
           shape_str(axes));
  return out;
}

}  // namespace bf::onnx_import
