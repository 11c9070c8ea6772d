// Small helpers shared by the normalisation passes: use lists, constant
// arithmetic in double, and creating fresh constants with unique names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bf {

// Who reads each value: the consuming node ids (one entry per operand slot, in node
// order) and whether the value is also a graph output.
struct UseInfo {
  std::vector<std::vector<NodeId>> consumers;
  std::vector<bool> is_graph_output;

  explicit UseInfo(const Graph& graph);
  // The only reader of `v` when exactly one node operand reads it and it is not a
  // graph output; nullopt otherwise.
  std::optional<NodeId> sole_consumer(ValueId v) const;
};

// A float constant operand (f32 or f64).
bool is_float_constant(const Graph& graph, ValueId v);
// A node operand that is neither absent nor a constant.
bool is_activation(const Graph& graph, ValueId v);

// True when broadcasting `operand` against `activation` yields `activation` unchanged.
bool broadcasts_into(const Shape& operand, const Shape& activation);

// Every element of `t` as double, broadcast (numpy rules) to `to`, in C order.
// `t.shape()` must broadcast into `to`.
std::vector<double> broadcast_values(const Tensor& t, const Shape& to);

// `t` as a vector of length n along the last axis when every other dimension is 1
// and the last is n or 1 (or `t` is a scalar): the shapes a bias of n outputs may
// take under broadcasting. nullopt otherwise.
std::optional<std::vector<double>> as_last_axis_vector(const Tensor& t, std::int64_t n);

// False when a finite `v` would round to infinity in `dtype` (only f32 can overflow).
bool fits_dtype(double v, DType dtype);

// Exact mode (NormalizeOptions::exact): v is a value of `dtype` exactly; the
// double product x * y (sum x + y) is the real one exactly, checked with an
// error-free transformation (fma; TwoSum).
bool exact_in(double v, DType dtype);
bool exact_product(double x, double y);
bool exact_sum(double x, double y);

// A tensor of `dtype` (rounded from double) with the given shape and values. A finite
// value that overflows `dtype` throws bf::Error(Unsupported): a fold must never turn
// finite weights into infinities.
Tensor tensor_from_doubles(DType dtype, const Shape& shape, const std::vector<double>& values);

// Adds a constant under a fresh name derived from `base`; returns its id.
ValueId add_fresh_constant(Graph& graph, const std::string& base, Tensor data);

// A node description for remarks: "Op 'name'".
std::string describe(const Node& node);

}  // namespace bf
