// State shared while one ONNX graph is converted: the IR graph under construction,
// the binding of ONNX value names to IR values, and a per-node view (NodeContext)
// that converters use to read operands and emit canonical IR nodes.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "frontend/onnx/node_attributes.h"
#include "frontend/onnx/onnx_importer.h"
#include "ir/graph.h"

namespace bf::onnx_import {

class ImportContext {
 public:
  ImportContext(Graph& graph, std::int64_t opset, const ImportOptions& options);

  Graph& graph() { return graph_; }
  std::int64_t opset() const { return opset_; }
  const ImportOptions& options() const { return options_; }

  // Every ONNX value name of the model, so generated names never collide with one.
  void reserve_name(const std::string& name) { taken_names_.insert(name); }
  // A name no ONNX value and no earlier generated value carries.
  std::string fresh_name(const std::string& base);

  // Names read by some node or listed as graph outputs (for "output must be unused" checks).
  void mark_used(const std::string& name) { used_names_.insert(name); }
  bool is_used(const std::string& name) const { return used_names_.count(name) != 0; }

  // ONNX name -> IR value. Binding a name twice is an Error(Invalid).
  void bind(const std::string& name, ValueId id);
  std::optional<ValueId> lookup(const std::string& name) const;

 private:
  Graph& graph_;
  std::int64_t opset_;
  ImportOptions options_;
  std::unordered_map<std::string, ValueId> values_;
  std::unordered_set<std::string> taken_names_;
  std::unordered_set<std::string> used_names_;
};

// One ONNX node being converted. Errors thrown here carry no node context: the
// graph importer adds the node's name and op type.
class NodeContext {
 public:
  NodeContext(ImportContext& ctx, const onnx::NodeProto& node, std::string name);

  const std::string& name() const { return name_; }
  const std::string& op_type() const { return node_.op_type(); }
  std::int64_t opset() const { return ctx_.opset(); }
  NodeAttributes& attrs() { return attrs_; }
  Graph& graph() { return ctx_.graph(); }

  // Checks the ONNX operand counts (declared entries, empty names included).
  void expect_inputs(int min, int max);
  void expect_outputs(int min, int max);

  // Declared operand entries, empty names (absent optional operands) included.
  int input_count() const { return node_.input_size(); }
  // True when operand i is given (present and not the empty name).
  bool has_input(int i) const;
  // Required operand: Error(Invalid) when absent or not produced by anything.
  ValueId input(int i);
  // kNoValue when absent.
  ValueId optional_input(int i);
  const TensorType& input_type(int i);
  // The tensor of a required constant operand; Unsupported when it is computed at run time.
  const Tensor& constant_input(int i, const std::string& role);
  bool is_constant(ValueId id) const { return ctx_.graph().is_constant(id); }

  // ONNX output i (e.g. Dropout's mask) must not be read by anything.
  void require_output_unused(int i, const std::string& role);

  // Emits a canonical IR node producing ONNX output 0. When every operand is a
  // constant the node is evaluated now and its output becomes a constant.
  void emit(OpKind op, Attributes attrs, std::vector<ValueId> inputs);
  // ONNX output 0 becomes this constant.
  void emit_constant(Tensor value);
  // A constant operand the converter derived (e.g. normalised Gather indices).
  ValueId add_constant(const std::string& role, Tensor value);

 private:
  const std::string& output_name() const;

  ImportContext& ctx_;
  const onnx::NodeProto& node_;
  std::string name_;
  NodeAttributes attrs_;
};

}  // namespace bf::onnx_import
