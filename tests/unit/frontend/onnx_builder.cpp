#include "onnx_builder.h"

#include <cstring>

#include "support/file_io.h"

namespace bf::test {
namespace {

int onnx_type(DType t) {
  switch (t) {
    case DType::F32:
      return onnx::TensorProto::FLOAT;
    case DType::F64:
      return onnx::TensorProto::DOUBLE;
    case DType::I64:
      return onnx::TensorProto::INT64;
    case DType::I32:
      return onnx::TensorProto::INT32;
    case DType::I8:
      return onnx::TensorProto::INT8;
    case DType::U8:
      return onnx::TensorProto::UINT8;
    case DType::Bool:
      return onnx::TensorProto::BOOL;
  }
  return onnx::TensorProto::UNDEFINED;
}

void fill_value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<Dim>& dims, int elem_type) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (const auto* value = std::get_if<std::int64_t>(&d)) {
      dim->set_dim_value(*value);
    } else if (!std::get<std::string>(d).empty()) {
      dim->set_dim_param(std::get<std::string>(d));
    }
  }
}

onnx::AttributeProto* add_attr(onnx::NodeProto& node, const std::string& name, onnx::AttributeProto::AttributeType t) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(t);
  return a;
}

}  // namespace

OnnxBuilder::OnnxBuilder(std::int64_t opset, std::int64_t ir_version) {
  model_.set_ir_version(ir_version);
  model_.set_producer_name("bf-test");
  auto* o = model_.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  model_.mutable_graph()->set_name("test_graph");
}

OnnxBuilder& OnnxBuilder::input(const std::string& name, std::vector<Dim> dims, int elem_type) {
  fill_value_info(model_.mutable_graph()->add_input(), name, dims, elem_type);
  return *this;
}

OnnxBuilder& OnnxBuilder::output(const std::string& name) {
  model_.mutable_graph()->add_output()->set_name(name);
  return *this;
}

OnnxBuilder& OnnxBuilder::output(const std::string& name, std::vector<Dim> dims, int elem_type) {
  fill_value_info(model_.mutable_graph()->add_output(), name, dims, elem_type);
  return *this;
}

OnnxBuilder& OnnxBuilder::value_info(const std::string& name, std::vector<Dim> dims, int elem_type) {
  fill_value_info(model_.mutable_graph()->add_value_info(), name, dims, elem_type);
  return *this;
}

OnnxBuilder& OnnxBuilder::initializer(const std::string& name, const Tensor& value) {
  *model_.mutable_graph()->add_initializer() = tensor_to_proto(value, name);
  return *this;
}

onnx::NodeProto& OnnxBuilder::node(const std::string& op_type, std::vector<std::string> inputs,
                                   std::vector<std::string> outputs, const std::string& name) {
  auto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op_type);
  n->set_name(name);
  for (auto& i : inputs) n->add_input(i);
  for (auto& o : outputs) n->add_output(o);
  return *n;
}

std::string OnnxBuilder::write(const std::string& dir, const std::string& file_name) const {
  std::string path = dir + "/" + file_name;
  write_file(path, model_.SerializeAsString());
  return path;
}

onnx::TensorProto tensor_to_proto(const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(onnx_type(t.dtype()));
  for (auto d : t.shape()) p.add_dims(d);
  p.set_raw_data(std::string(static_cast<const char*>(t.raw_data()), t.nbytes()));
  return p;
}

void attr_int(onnx::NodeProto& node, const std::string& name, std::int64_t v) {
  add_attr(node, name, onnx::AttributeProto::INT)->set_i(v);
}

void attr_float(onnx::NodeProto& node, const std::string& name, float v) {
  add_attr(node, name, onnx::AttributeProto::FLOAT)->set_f(v);
}

void attr_string(onnx::NodeProto& node, const std::string& name, const std::string& v) {
  add_attr(node, name, onnx::AttributeProto::STRING)->set_s(v);
}

void attr_ints(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& v) {
  auto* a = add_attr(node, name, onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}

void attr_floats(onnx::NodeProto& node, const std::string& name, const std::vector<float>& v) {
  auto* a = add_attr(node, name, onnx::AttributeProto::FLOATS);
  for (auto x : v) a->add_floats(x);
}

void attr_tensor(onnx::NodeProto& node, const std::string& name, const Tensor& v) {
  *add_attr(node, name, onnx::AttributeProto::TENSOR)->mutable_t() = tensor_to_proto(v);
}

Tensor f32(Shape shape, std::vector<float> values) { return Tensor::from_vector<float>(std::move(shape), values); }

Tensor i64(std::vector<std::int64_t> values) {
  return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(values.size())}, values);
}

Tensor iota_f32(Shape shape) {
  Tensor t(DType::F32, std::move(shape));
  float* p = t.mutable_data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(i);
  return t;
}

}  // namespace bf::test
