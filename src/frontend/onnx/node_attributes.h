// Typed access to an ONNX node's attributes. Every attribute a converter reads (or
// explicitly ignores) is marked; finish() rejects the rest, so an attribute the
// importer does not understand can never be dropped silently.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bf::onnx_import {

class NodeAttributes {
 public:
  explicit NodeAttributes(const onnx::NodeProto& node);

  bool has(const std::string& name) const { return attrs_.count(name) != 0; }

  std::optional<std::int64_t> get_int(const std::string& name);
  std::int64_t get_int(const std::string& name, std::int64_t fallback) { return get_int(name).value_or(fallback); }
  std::optional<float> get_float(const std::string& name);
  float get_float(const std::string& name, float fallback) { return get_float(name).value_or(fallback); }
  std::optional<std::string> get_string(const std::string& name);
  std::string get_string(const std::string& name, const std::string& fallback) {
    return get_string(name).value_or(fallback);
  }
  std::optional<std::vector<std::int64_t>> get_ints(const std::string& name);
  std::optional<std::vector<float>> get_floats(const std::string& name);
  const onnx::TensorProto* get_tensor(const std::string& name);

  // Accepts an attribute that has no effect on inference (Dropout's seed, BatchNormalization's momentum).
  void ignore(const std::string& name);

  // Throws Unsupported for the first attribute (in name order) nobody read or ignored.
  void finish() const;

 private:
  const onnx::AttributeProto* take(const std::string& name, onnx::AttributeProto::AttributeType type);

  std::map<std::string, const onnx::AttributeProto*> attrs_;
  std::map<std::string, bool> consumed_;
};

// "attribute 'mode' = 'reflect' is not supported"
[[noreturn]] void unsupported_attribute_value(const std::string& name, const std::string& value_text);
[[noreturn]] void unsupported_attribute_value(const std::string& name, std::int64_t value);

}  // namespace bf::onnx_import
