#include "frontend/onnx/import_context.h"

#include "frontend/onnx/constant_folding.h"
#include "support/error.h"

namespace bf::onnx_import {

ImportContext::ImportContext(Graph& graph, std::int64_t opset, const ImportOptions& options)
    : graph_(graph), opset_(opset), options_(options) {}

std::string ImportContext::fresh_name(const std::string& base) {
  std::string candidate = base;
  for (int i = 1; taken_names_.count(candidate); ++i) candidate = base + "_" + std::to_string(i);
  taken_names_.insert(candidate);
  return candidate;
}

void ImportContext::bind(const std::string& name, ValueId id) {
  BF_CHECK(!name.empty(), ErrorKind::Invalid, "a value has an empty name");
  BF_CHECK(values_.emplace(name, id).second, ErrorKind::Invalid,
           "value '{}' is defined more than once (as graph input, initializer or node output)", name);
}

std::optional<ValueId> ImportContext::lookup(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

NodeContext::NodeContext(ImportContext& ctx, const onnx::NodeProto& node, std::string name)
    : ctx_(ctx), node_(node), name_(std::move(name)), attrs_(node) {}

void NodeContext::expect_inputs(int min, int max) {
  int n = node_.input_size();
  // Trailing empty names are absent optional operands, not extra ones.
  while (n > 0 && node_.input(n - 1).empty()) --n;
  BF_CHECK(n >= min && n <= max && node_.input_size() <= max, ErrorKind::Invalid, "{} takes {} inputs, the node has {}",
           op_type(), min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max),
           node_.input_size());
}

void NodeContext::expect_outputs(int min, int max) {
  int n = node_.output_size();
  BF_CHECK(n >= min && n <= max, ErrorKind::Invalid, "{} has {} outputs, the node has {}", op_type(),
           min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max), n);
}

bool NodeContext::has_input(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }

ValueId NodeContext::input(int i) {
  BF_CHECK(has_input(i), ErrorKind::Invalid, "required input {} of {} is missing", i, op_type());
  const std::string& n = node_.input(i);
  auto id = ctx_.lookup(n);
  BF_CHECK(id.has_value(), ErrorKind::Invalid, "input '{}' is not produced by any node, graph input or initializer", n);
  return *id;
}

ValueId NodeContext::optional_input(int i) { return has_input(i) ? input(i) : kNoValue; }

const TensorType& NodeContext::input_type(int i) { return graph().type(input(i)); }

const Tensor& NodeContext::constant_input(int i, const std::string& role) {
  ValueId id = input(i);
  BF_CHECK(is_constant(id), ErrorKind::Unsupported,
           "input {} ('{}', the {}) must be a constant or computable at import time", i, node_.input(i), role);
  return graph().constant(id);
}

void NodeContext::require_output_unused(int i, const std::string& role) {
  if (i >= node_.output_size() || node_.output(i).empty()) return;
  BF_CHECK(!ctx_.is_used(node_.output(i)), ErrorKind::Unsupported,
           "output {} ('{}', the {}) is used, which is not supported", i, node_.output(i), role);
}

const std::string& NodeContext::output_name() const {
  BF_CHECK(node_.output_size() >= 1 && !node_.output(0).empty(), ErrorKind::Invalid, "the node has no output name");
  return node_.output(0);
}

void NodeContext::emit(OpKind op, Attributes attrs, std::vector<ValueId> inputs) {
  const std::string& out = output_name();
  bool all_constant = true;
  for (ValueId v : inputs) {
    if (v != kNoValue && !is_constant(v)) all_constant = false;
  }
  if (all_constant) {
    Node node{op, name_, std::move(attrs), std::move(inputs), {}};
    emit_constant(fold_node(graph(), node));
    return;
  }
  ValueId id = graph().add_inferred_node(op, name_, std::move(attrs), std::move(inputs), {out})[0];
  ctx_.bind(out, id);
}

void NodeContext::emit_constant(Tensor value) {
  const std::string& out = output_name();
  ctx_.bind(out, graph().add_constant(out, std::move(value)));
}

ValueId NodeContext::add_constant(const std::string& role, Tensor value) {
  return graph().add_constant(ctx_.fresh_name(name_ + "/" + role), std::move(value));
}

}  // namespace bf::onnx_import
