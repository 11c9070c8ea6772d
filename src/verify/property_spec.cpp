#include "verify/property_spec.h"

#include <fmt/format.h>

#include <map>

#include "support/error.h"

namespace bf {

PropertySpec property_spec(const VnnlibProperty& property, const Graph& graph, DType dtype, bool outward) {
  BF_CHECK(graph.inputs().size() == 1 && graph.outputs().size() == 1, ErrorKind::Unsupported,
           "a VNN-LIB property needs a single-input, single-output network");
  const Shape& in_shape = graph.type(graph.inputs()[0]).shape;
  const std::int64_t num_outputs = graph.type(graph.outputs()[0]).numel();
  BF_CHECK(property.num_inputs == numel(in_shape), ErrorKind::Shape, "{}: declares {} inputs but the network has {}",
           property.path, property.num_inputs, numel(in_shape));
  BF_CHECK(property.num_outputs <= num_outputs, ErrorKind::Shape, "{}: declares {} outputs but the network has {}",
           property.path, property.num_outputs, num_outputs);
  PropertySpec spec;
  std::vector<double> lower, upper;
  std::map<std::vector<double>, std::int64_t> row_index;
  std::vector<double> c_values;
  for (const auto& k : property.cases) {
    lower.insert(lower.end(), k.lower.begin(), k.lower.end());
    upper.insert(upper.end(), k.upper.begin(), k.upper.end());
    auto& polys = spec.row_of.emplace_back();
    for (const auto& p : k.polytopes) {
      auto& rows = polys.emplace_back();
      for (const auto& r : p.rows) {
        std::vector<double> full(static_cast<std::size_t>(num_outputs), 0.0);
        std::copy(r.begin(), r.end(), full.begin());
        auto [it, fresh] = row_index.try_emplace(full, static_cast<std::int64_t>(row_index.size()));
        if (fresh) c_values.insert(c_values.end(), full.begin(), full.end());
        rows.push_back(it->second);
      }
    }
  }
  spec.region = input_box(lower, upper, in_shape, dtype, outward);
  const auto nrows = static_cast<std::int64_t>(row_index.size());
  BF_CHECK(nrows > 0, ErrorKind::Invalid, "{}: no output constraint", property.path);
  spec.c = Tensor::from_vector<double>({nrows, num_outputs}, c_values).cast(dtype);
  return spec;
}

std::string row_text(const std::vector<double>& row) {
  std::string out;
  for (std::size_t j = 0; j < row.size(); ++j) {
    const double c = row[j];
    if (c == 0.0) continue;
    const std::string mag = std::abs(c) == 1.0 ? "" : fmt::format("{:g}*", std::abs(c));
    if (out.empty()) {
      out += fmt::format("{}{}y{}", c < 0 ? "-" : "", mag, j);
    } else {
      out += fmt::format(" {} {}y{}", c < 0 ? "-" : "+", mag, j);
    }
  }
  return out.empty() ? "0" : out;
}

}  // namespace bf
