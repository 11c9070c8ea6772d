#include "frontend/onnx/node_attributes.h"

#include "support/error.h"

namespace bf::onnx_import {
namespace {

const char* type_name(onnx::AttributeProto::AttributeType type) {
  switch (type) {
    case onnx::AttributeProto::FLOAT:
      return "float";
    case onnx::AttributeProto::INT:
      return "int";
    case onnx::AttributeProto::STRING:
      return "string";
    case onnx::AttributeProto::TENSOR:
      return "tensor";
    case onnx::AttributeProto::GRAPH:
      return "graph";
    case onnx::AttributeProto::FLOATS:
      return "floats";
    case onnx::AttributeProto::INTS:
      return "ints";
    case onnx::AttributeProto::STRINGS:
      return "strings";
    case onnx::AttributeProto::TENSORS:
      return "tensors";
    case onnx::AttributeProto::GRAPHS:
      return "graphs";
    case onnx::AttributeProto::SPARSE_TENSOR:
      return "sparse tensor";
    case onnx::AttributeProto::SPARSE_TENSORS:
      return "sparse tensors";
    case onnx::AttributeProto::TYPE_PROTO:
      return "type";
    case onnx::AttributeProto::TYPE_PROTOS:
      return "types";
    default:
      return "undefined";
  }
}

// Very old exporters leave `type` unset; the populated field then says what it is.
onnx::AttributeProto::AttributeType effective_type(const onnx::AttributeProto& a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.has_g()) return onnx::AttributeProto::GRAPH;
  if (a.floats_size()) return onnx::AttributeProto::FLOATS;
  if (a.ints_size()) return onnx::AttributeProto::INTS;
  if (a.strings_size()) return onnx::AttributeProto::STRINGS;
  return onnx::AttributeProto::UNDEFINED;
}

}  // namespace

NodeAttributes::NodeAttributes(const onnx::NodeProto& node) {
  for (const auto& a : node.attribute()) {
    BF_CHECK(!a.name().empty(), ErrorKind::Invalid, "an attribute has no name");
    BF_CHECK(a.ref_attr_name().empty(), ErrorKind::Unsupported,
             "attribute '{}' refers to a function attribute, which is not supported", a.name());
    BF_CHECK(attrs_.emplace(a.name(), &a).second, ErrorKind::Invalid, "attribute '{}' is given twice", a.name());
    consumed_[a.name()] = false;
  }
}

const onnx::AttributeProto* NodeAttributes::take(const std::string& name, onnx::AttributeProto::AttributeType type) {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return nullptr;
  consumed_[name] = true;
  auto actual = effective_type(*it->second);
  // An empty list attribute written by an old exporter has no populated field to go by.
  bool empty_list_ok = actual == onnx::AttributeProto::UNDEFINED &&
                       (type == onnx::AttributeProto::INTS || type == onnx::AttributeProto::FLOATS);
  BF_CHECK(actual == type || empty_list_ok, ErrorKind::Invalid, "attribute '{}' should be of type {}, is {}", name,
           type_name(type), type_name(actual));
  return it->second;
}

std::optional<std::int64_t> NodeAttributes::get_int(const std::string& name) {
  const auto* a = take(name, onnx::AttributeProto::INT);
  if (!a) return std::nullopt;
  return a->i();
}

std::optional<float> NodeAttributes::get_float(const std::string& name) {
  const auto* a = take(name, onnx::AttributeProto::FLOAT);
  if (!a) return std::nullopt;
  return a->f();
}

std::optional<std::string> NodeAttributes::get_string(const std::string& name) {
  const auto* a = take(name, onnx::AttributeProto::STRING);
  if (!a) return std::nullopt;
  return a->s();
}

std::optional<std::vector<std::int64_t>> NodeAttributes::get_ints(const std::string& name) {
  const auto* a = take(name, onnx::AttributeProto::INTS);
  if (!a) return std::nullopt;
  return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::vector<float>> NodeAttributes::get_floats(const std::string& name) {
  const auto* a = take(name, onnx::AttributeProto::FLOATS);
  if (!a) return std::nullopt;
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

const onnx::TensorProto* NodeAttributes::get_tensor(const std::string& name) {
  const auto* a = take(name, onnx::AttributeProto::TENSOR);
  return a ? &a->t() : nullptr;
}

void NodeAttributes::ignore(const std::string& name) {
  if (attrs_.count(name)) consumed_[name] = true;
}

void NodeAttributes::finish() const {
  for (const auto& [name, used] : consumed_) {
    BF_CHECK(used, ErrorKind::Unsupported, "attribute '{}' is not supported", name);
  }
}

void unsupported_attribute_value(const std::string& name, const std::string& value_text) {
  fail(ErrorKind::Unsupported, "attribute '{}' = '{}' is not supported", name, value_text);
}

void unsupported_attribute_value(const std::string& name, std::int64_t value) {
  fail(ErrorKind::Unsupported, "attribute '{}' = {} is not supported", name, value);
}

}  // namespace bf::onnx_import
