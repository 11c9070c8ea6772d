#include "transform/rewrite_utils.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace bf {

UseInfo::UseInfo(const Graph& graph)
    : consumers(static_cast<std::size_t>(graph.num_values())),
      is_graph_output(static_cast<std::size_t>(graph.num_values()), false) {
  const auto& nodes = graph.nodes();
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    for (ValueId v : nodes[n].inputs) {
      if (v != kNoValue) consumers[static_cast<std::size_t>(v)].push_back(static_cast<NodeId>(n));
    }
  }
  for (ValueId v : graph.outputs()) is_graph_output[static_cast<std::size_t>(v)] = true;
}

std::optional<NodeId> UseInfo::sole_consumer(ValueId v) const {
  const auto& c = consumers[static_cast<std::size_t>(v)];
  if (c.size() != 1 || is_graph_output[static_cast<std::size_t>(v)]) return std::nullopt;
  return c[0];
}

bool is_float_constant(const Graph& graph, ValueId v) {
  return v != kNoValue && graph.is_constant(v) && is_floating(graph.type(v).dtype);
}

bool is_activation(const Graph& graph, ValueId v) { return v != kNoValue && !graph.is_constant(v); }

bool broadcasts_into(const Shape& operand, const Shape& activation) {
  if (operand.size() > activation.size()) return false;
  std::size_t offset = activation.size() - operand.size();
  for (std::size_t i = 0; i < operand.size(); ++i) {
    if (operand[i] != 1 && operand[i] != activation[i + offset]) return false;
  }
  return true;
}

std::vector<double> broadcast_values(const Tensor& t, const Shape& to) {
  BF_ASSERT(broadcasts_into(t.shape(), to));
  std::vector<double> src = t.to_double_vector();
  std::vector<std::int64_t> strides = broadcast_strides(t.shape(), to);
  std::int64_t count = numel(to);
  std::vector<double> out(static_cast<std::size_t>(count));
  std::vector<std::int64_t> index(to.size(), 0);
  for (std::int64_t i = 0; i < count; ++i) {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < to.size(); ++d) offset += index[d] * strides[d];
    out[static_cast<std::size_t>(i)] = src[static_cast<std::size_t>(offset)];
    for (std::size_t d = to.size(); d-- > 0;) {
      if (++index[d] < to[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

std::optional<std::vector<double>> as_last_axis_vector(const Tensor& t, std::int64_t n) {
  const Shape& s = t.shape();
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != 1) return std::nullopt;
  }
  if (!s.empty() && s.back() != n && s.back() != 1) return std::nullopt;
  std::vector<double> values = t.to_double_vector();
  if (static_cast<std::int64_t>(values.size()) == n) return values;
  return std::vector<double>(static_cast<std::size_t>(n), values.at(0));
}

bool exact_in(double v, DType dtype) {
  if (!std::isfinite(v)) return false;
  if (dtype == DType::F64) return true;
  if (dtype == DType::F32) return static_cast<double>(static_cast<float>(v)) == v;
  return false;
}

bool exact_product(double x, double y) {
  const double p = x * y;
  return std::isfinite(p) && std::fma(x, y, -p) == 0.0;
}

bool exact_sum(double x, double y) {
  const double s = x + y;
  if (!std::isfinite(s)) return false;
  const double bv = s - x, av = s - bv;
  return (x - av) + (y - bv) == 0.0;
}

bool fits_dtype(double v, DType dtype) {
  if (!std::isfinite(v) || dtype != DType::F32) return true;
  return std::abs(v) <= static_cast<double>(std::numeric_limits<float>::max());
}

Tensor tensor_from_doubles(DType dtype, const Shape& shape, const std::vector<double>& values) {
  for (double v : values) {
    BF_CHECK(fits_dtype(v, dtype), ErrorKind::Unsupported, "folded value {} overflows {}", v, dtype_name(dtype));
  }
  return Tensor::from_vector<double>(shape, values).cast(dtype);
}

ValueId add_fresh_constant(Graph& graph, const std::string& base, Tensor data) {
  return graph.add_constant(graph.unique_value_name(base), std::move(data));
}

std::string describe(const Node& node) { return fmt::format("{} '{}'", op_name(node.op), node.name); }

}  // namespace bf
