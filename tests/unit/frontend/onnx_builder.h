// Builds small ONNX models in tests with the protobuf API, so each importer test
// states its model next to its expectations.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tensor/tensor.h"

namespace bf::test {

// A dimension: a static size, a symbolic name ("batch"), or "" for an unknown one.
using Dim = std::variant<std::int64_t, std::string>;

class OnnxBuilder {
 public:
  explicit OnnxBuilder(std::int64_t opset = 13, std::int64_t ir_version = 8);

  OnnxBuilder& input(const std::string& name, std::vector<Dim> dims, int elem_type = onnx::TensorProto::FLOAT);
  OnnxBuilder& output(const std::string& name);
  OnnxBuilder& output(const std::string& name, std::vector<Dim> dims, int elem_type = onnx::TensorProto::FLOAT);
  OnnxBuilder& value_info(const std::string& name, std::vector<Dim> dims, int elem_type = onnx::TensorProto::FLOAT);
  OnnxBuilder& initializer(const std::string& name, const Tensor& value);
  // Adds a node; attributes go on the returned proto with the attr_* helpers.
  onnx::NodeProto& node(const std::string& op_type, std::vector<std::string> inputs, std::vector<std::string> outputs,
                        const std::string& name = "");

  onnx::ModelProto& model() { return model_; }
  // Serializes the model into `dir`/`file_name` and returns the path.
  std::string write(const std::string& dir, const std::string& file_name) const;

 private:
  onnx::ModelProto model_;
};

onnx::TensorProto tensor_to_proto(const Tensor& t, const std::string& name = "");

void attr_int(onnx::NodeProto& node, const std::string& name, std::int64_t v);
void attr_float(onnx::NodeProto& node, const std::string& name, float v);
void attr_string(onnx::NodeProto& node, const std::string& name, const std::string& v);
void attr_ints(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& v);
void attr_floats(onnx::NodeProto& node, const std::string& name, const std::vector<float>& v);
void attr_tensor(onnx::NodeProto& node, const std::string& name, const Tensor& v);

// Shorthands for constants.
Tensor f32(Shape shape, std::vector<float> values);
Tensor i64(std::vector<std::int64_t> values);  // 1-D
// A float tensor 0, 1, 2, ... of the given shape.
Tensor iota_f32(Shape shape);

}  // namespace bf::test
