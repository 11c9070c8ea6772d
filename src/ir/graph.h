// The primal IR: a graph of Values (name + TensorType) and Nodes (op, typed
// attributes, inputs, outputs) in topological order. Constants (ONNX initializers
// and folded subgraphs) are Values with attached tensor data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "ir/op_kind.h"
#include "tensor/tensor.h"

namespace bf {

using ValueId = std::int32_t;
using NodeId = std::int32_t;
// An absent optional operand (ONNX's empty input name).
inline constexpr ValueId kNoValue = -1;

struct TensorType {
  DType dtype = DType::F32;
  Shape shape;
  bool operator==(const TensorType& other) const = default;
  std::int64_t numel() const { return bf::numel(shape); }
  // "f32[1,784]"
  std::string str() const;
};

struct Value {
  std::string name;
  TensorType type;
};

struct Node {
  OpKind op;
  std::string name;
  Attributes attrs;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
};

class Graph {
 public:
  std::string name;
  // Opset of the default ONNX domain the model was imported from (0 when built by hand).
  std::int64_t opset = 0;
  // What import and normalisation computed by rounding (a folded float op, a
  // folded BatchNormalization, ...), one line each: where this is not empty,
  // the graph's constants are not exactly the model's, and a proof about the
  // graph is not one about the model (docs/soundness.md).
  std::vector<std::string> rounded;

  // --- construction -------------------------------------------------------
  ValueId add_value(std::string value_name, TensorType type);
  ValueId add_input(std::string value_name, TensorType type);
  ValueId add_constant(std::string value_name, Tensor data);
  void add_output(ValueId id);
  // Appends a node; shapes are not checked here (validate() does).
  NodeId add_node(Node node);
  // Appends a node after inferring its output types; creates the output values.
  // Returns the output value ids.
  std::vector<ValueId> add_inferred_node(OpKind op, std::string node_name, Attributes attrs,
                                         std::vector<ValueId> inputs, std::vector<std::string> output_names);

  // --- access -------------------------------------------------------------
  std::int32_t num_values() const { return static_cast<std::int32_t>(values_.size()); }
  const Value& value(ValueId id) const;
  Value& value(ValueId id);
  const TensorType& type(ValueId id) const { return value(id).type; }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<Node>& nodes() { return nodes_; }
  const Node& node(NodeId id) const { return nodes_.at(static_cast<std::size_t>(id)); }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  std::vector<ValueId>& outputs() { return outputs_; }

  bool is_constant(ValueId id) const { return constants_.count(id) != 0; }
  const Tensor& constant(ValueId id) const;
  void set_constant(ValueId id, Tensor data);
  const std::map<ValueId, Tensor>& constants() const { return constants_; }
  bool is_input(ValueId id) const;
  bool is_output(ValueId id) const;
  std::optional<ValueId> find_value(const std::string& value_name) const;

  // Node producing each value (nullopt for inputs, constants, dangling values).
  std::vector<std::optional<NodeId>> producers() const;
  // Number of node operands plus graph outputs reading each value.
  std::vector<std::int32_t> use_counts() const;

  // --- rewriting (for passes) ---------------------------------------------
  // Every node operand and graph output reading `from` reads `to` instead.
  void replace_all_uses(ValueId from, ValueId to);
  // Removes the listed nodes (their output values stay until compact()).
  void remove_nodes(const std::vector<NodeId>& ids);
  // Drops values and constants nothing refers to and renumbers ids densely in
  // their original order, so dumps after a pass stay stable and diffable.
  void compact();
  // Returns a name not yet used by any value, derived from `base`.
  std::string unique_value_name(const std::string& base) const;

 private:
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::map<ValueId, Tensor> constants_;
};

// Checks the graph's invariants and throws bf::Error naming the first broken one:
// ids in range, a single producer per value, operands defined before use
// (topological order), operand counts, constant operands where the op needs them,
// and every node's recorded output types equal to what shape inference derives.
void validate(const Graph& graph);

}  // namespace bf
