#include "ir/graph.h"

#include <algorithm>
#include <set>

#include "ir/shape_inference.h"
#include "support/error.h"

namespace bf {

std::string TensorType::str() const { return std::string(dtype_name(dtype)) + shape_str(shape); }

ValueId Graph::add_value(std::string value_name, TensorType type) {
  values_.push_back({std::move(value_name), std::move(type)});
  return static_cast<ValueId>(values_.size() - 1);
}

ValueId Graph::add_input(std::string value_name, TensorType type) {
  ValueId id = add_value(std::move(value_name), std::move(type));
  inputs_.push_back(id);
  return id;
}

ValueId Graph::add_constant(std::string value_name, Tensor data) {
  ValueId id = add_value(std::move(value_name), {data.dtype(), data.shape()});
  constants_[id] = std::move(data);
  return id;
}

void Graph::add_output(ValueId id) {
  value(id);  // range check
  outputs_.push_back(id);
}

NodeId Graph::add_node(Node node) {
  nodes_.push_back(std::move(node));
  return static_cast<NodeId>(nodes_.size() - 1);
}

std::vector<ValueId> Graph::add_inferred_node(OpKind op, std::string node_name, Attributes attrs,
                                              std::vector<ValueId> inputs, std::vector<std::string> output_names) {
  std::vector<const TensorType*> types;
  for (ValueId id : inputs) types.push_back(id == kNoValue ? nullptr : &type(id));
  std::vector<TensorType> out_types = infer_output_types(op, attrs, types);
  BF_ASSERT(out_types.size() == output_names.size());
  Node node{op, std::move(node_name), std::move(attrs), std::move(inputs), {}};
  for (std::size_t i = 0; i < out_types.size(); ++i) node.outputs.push_back(add_value(output_names[i], out_types[i]));
  std::vector<ValueId> outs = node.outputs;
  add_node(std::move(node));
  return outs;
}

const Value& Graph::value(ValueId id) const {
  BF_CHECK(id >= 0 && id < num_values(), ErrorKind::Internal, "value id {} out of range", id);
  return values_[static_cast<std::size_t>(id)];
}

Value& Graph::value(ValueId id) {
  BF_CHECK(id >= 0 && id < num_values(), ErrorKind::Internal, "value id {} out of range", id);
  return values_[static_cast<std::size_t>(id)];
}

const Tensor& Graph::constant(ValueId id) const {
  auto it = constants_.find(id);
  BF_CHECK(it != constants_.end(), ErrorKind::Internal, "value '{}' is not a constant", value(id).name);
  return it->second;
}

void Graph::set_constant(ValueId id, Tensor data) {
  value(id).type = {data.dtype(), data.shape()};
  constants_[id] = std::move(data);
}

bool Graph::is_input(ValueId id) const { return std::find(inputs_.begin(), inputs_.end(), id) != inputs_.end(); }

bool Graph::is_output(ValueId id) const { return std::find(outputs_.begin(), outputs_.end(), id) != outputs_.end(); }

std::optional<ValueId> Graph::find_value(const std::string& value_name) const {
  for (std::size_t i = 0; i < values_.size(); ++i) {
    if (values_[i].name == value_name) return static_cast<ValueId>(i);
  }
  return std::nullopt;
}

std::vector<std::optional<NodeId>> Graph::producers() const {
  std::vector<std::optional<NodeId>> out(values_.size());
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    for (ValueId v : nodes_[n].outputs) {
      if (v >= 0 && v < num_values()) out[static_cast<std::size_t>(v)] = static_cast<NodeId>(n);
    }
  }
  return out;
}

std::vector<std::int32_t> Graph::use_counts() const {
  std::vector<std::int32_t> uses(values_.size(), 0);
  for (const auto& n : nodes_) {
    for (ValueId v : n.inputs) {
      if (v != kNoValue) ++uses[static_cast<std::size_t>(v)];
    }
  }
  for (ValueId v : outputs_) ++uses[static_cast<std::size_t>(v)];
  return uses;
}

void Graph::replace_all_uses(ValueId from, ValueId to) {
  for (auto& n : nodes_) {
    for (auto& v : n.inputs) {
      if (v == from) v = to;
    }
  }
  for (auto& v : outputs_) {
    if (v == from) v = to;
  }
}

void Graph::remove_nodes(const std::vector<NodeId>& ids) {
  std::set<NodeId> doomed(ids.begin(), ids.end());
  std::vector<Node> kept;
  kept.reserve(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!doomed.count(static_cast<NodeId>(i))) kept.push_back(std::move(nodes_[i]));
  }
  nodes_ = std::move(kept);
}

void Graph::compact() {
  std::vector<bool> used(values_.size(), false);
  for (ValueId v : inputs_) used[static_cast<std::size_t>(v)] = true;
  for (ValueId v : outputs_) used[static_cast<std::size_t>(v)] = true;
  for (const auto& n : nodes_) {
    for (ValueId v : n.inputs) {
      if (v != kNoValue) used[static_cast<std::size_t>(v)] = true;
    }
    for (ValueId v : n.outputs) used[static_cast<std::size_t>(v)] = true;
  }
  std::vector<ValueId> remap(values_.size(), kNoValue);
  std::vector<Value> kept;
  std::map<ValueId, Tensor> kept_constants;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    if (!used[i]) continue;
    remap[i] = static_cast<ValueId>(kept.size());
    auto c = constants_.find(static_cast<ValueId>(i));
    if (c != constants_.end()) kept_constants[remap[i]] = std::move(c->second);
    kept.push_back(std::move(values_[i]));
  }
  auto apply = [&](ValueId& v) {
    if (v != kNoValue) v = remap[static_cast<std::size_t>(v)];
  };
  for (auto& v : inputs_) apply(v);
  for (auto& v : outputs_) apply(v);
  for (auto& n : nodes_) {
    for (auto& v : n.inputs) apply(v);
    for (auto& v : n.outputs) apply(v);
  }
  values_ = std::move(kept);
  constants_ = std::move(kept_constants);
}

std::string Graph::unique_value_name(const std::string& base) const {
  std::set<std::string> names;
  for (const auto& v : values_) names.insert(v.name);
  if (!names.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = base + "_" + std::to_string(i);
    if (!names.count(candidate)) return candidate;
  }
}

namespace {

// Operands that must be constant tensors for the op to be supported.
bool requires_constant_operand(OpKind op, std::size_t index) {
  switch (op) {
    case OpKind::Gather:
      return index == 1;
    case OpKind::BatchNormalization:
      return index >= 1;
    case OpKind::Affine:
    case OpKind::ScaleShift:
      return index >= 1;
    default:
      return false;
  }
}

}  // namespace

void validate(const Graph& g) {
  const std::int32_t nv = g.num_values();
  std::vector<bool> defined(static_cast<std::size_t>(nv), false);
  std::vector<bool> produced(static_cast<std::size_t>(nv), false);
  std::set<std::string> names;
  for (ValueId v = 0; v < nv; ++v) {
    const auto& name = g.value(v).name;
    BF_CHECK(!name.empty(), ErrorKind::Invalid, "value {} has no name", v);
    BF_CHECK(names.insert(name).second, ErrorKind::Invalid, "two values are named '{}'", name);
  }
  for (ValueId v : g.inputs()) {
    BF_CHECK(v >= 0 && v < nv, ErrorKind::Invalid, "graph input id {} out of range", v);
    BF_CHECK(!g.is_constant(v), ErrorKind::Invalid, "graph input '{}' is also a constant", g.value(v).name);
    defined[static_cast<std::size_t>(v)] = true;
  }
  for (const auto& [v, t] : g.constants()) {
    BF_CHECK(v >= 0 && v < nv, ErrorKind::Invalid, "constant id {} out of range", v);
    BF_CHECK(g.type(v) == TensorType({t.dtype(), t.shape()}), ErrorKind::Shape,
             "constant '{}' is recorded as {} but holds {}{}", g.value(v).name, g.type(v).str(), dtype_name(t.dtype()),
             shape_str(t.shape()));
    defined[static_cast<std::size_t>(v)] = true;
  }
  for (const auto& node : g.nodes()) {
    try {
      OpArity arity = op_arity(node.op);
      int nin = static_cast<int>(node.inputs.size());
      BF_CHECK(nin >= arity.min_inputs && (arity.max_inputs < 0 || nin <= arity.max_inputs), ErrorKind::Invalid,
               "takes {}..{} inputs, has {}", arity.min_inputs, arity.max_inputs, nin);
      BF_CHECK(static_cast<int>(node.outputs.size()) == arity.outputs, ErrorKind::Invalid,
               "has {} outputs, expected {}", node.outputs.size(), arity.outputs);
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        ValueId v = node.inputs[i];
        if (v == kNoValue) {
          BF_CHECK(static_cast<int>(i) >= arity.min_inputs, ErrorKind::Invalid, "required input {} is missing", i);
          continue;
        }
        BF_CHECK(v >= 0 && v < nv, ErrorKind::Invalid, "input id {} out of range", v);
        BF_CHECK(defined[static_cast<std::size_t>(v)], ErrorKind::Invalid,
                 "input '{}' is used before it is defined (graph not in topological order, or a missing initializer)",
                 g.value(v).name);
        if (requires_constant_operand(node.op, i)) {
          BF_CHECK(g.is_constant(v), ErrorKind::Unsupported, "input {} ('{}') must be a constant", i, g.value(v).name);
        }
      }
      for (ValueId v : node.outputs) {
        BF_CHECK(v >= 0 && v < nv, ErrorKind::Invalid, "output id {} out of range", v);
        BF_CHECK(!produced[static_cast<std::size_t>(v)] && !defined[static_cast<std::size_t>(v)], ErrorKind::Invalid,
                 "value '{}' has more than one producer", g.value(v).name);
        produced[static_cast<std::size_t>(v)] = true;
        defined[static_cast<std::size_t>(v)] = true;
      }
      std::vector<TensorType> inferred = infer_output_types(g, node);
      for (std::size_t i = 0; i < node.outputs.size(); ++i) {
        const TensorType& recorded = g.type(node.outputs[i]);
        BF_CHECK(recorded == inferred[i], ErrorKind::Shape, "output '{}' is recorded as {} but the op yields {}",
                 g.value(node.outputs[i]).name, recorded.str(), inferred[i].str());
      }
    } catch (Error& e) {
      e.with_node(node.name, std::string(op_name(node.op)));
      throw;
    }
  }
  BF_CHECK(!g.outputs().empty(), ErrorKind::Invalid, "graph has no outputs");
  for (ValueId v : g.outputs()) {
    BF_CHECK(v >= 0 && v < nv, ErrorKind::Invalid, "graph output id {} out of range", v);
    BF_CHECK(defined[static_cast<std::size_t>(v)], ErrorKind::Invalid, "graph output '{}' is never computed",
             g.value(v).name);
  }
}

}  // namespace bf
