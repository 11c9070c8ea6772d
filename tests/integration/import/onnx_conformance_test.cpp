// The importer against the ONNX conformance data Debian ships (libonnx-testdata):
// every single-operator test whose model uses only operators the importer handles,
// at an opset it supports, must either import and reproduce the expected outputs
// when evaluated node by node with bf::eval_node, or be one of the listed cases the
// importer rejects on purpose with bf::Error(Unsupported).
//
// The test models feed every operand as a graph input. BoundFlow verifies networks
// with one activation input, so the first float input stays an input and every
// other input becomes an initializer holding its test value (this is what lets
// Reshape shapes, Slice starts or Clip bounds be read at import time).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <map>
#include <set>

#include "frontend/onnx/onnx_importer.h"
#include "ir/graph.h"
#include "reference_eval.h"
#include "support/file_io.h"
#include "support/test_paths.h"

namespace bf {
namespace {

namespace fs = std::filesystem;

// The ONNX operators the importer converts (the brief's list plus the import-only ones).
const std::set<std::string> kSupportedOps = {"Gemm",
                                             "MatMul",
                                             "Add",
                                             "Sub",
                                             "Mul",
                                             "Div",
                                             "Neg",
                                             "Relu",
                                             "LeakyRelu",
                                             "Sigmoid",
                                             "Tanh",
                                             "Clip",
                                             "Flatten",
                                             "Reshape",
                                             "Squeeze",
                                             "Unsqueeze",
                                             "Transpose",
                                             "Concat",
                                             "Slice",
                                             "Gather",
                                             "Identity",
                                             "Dropout",
                                             "Constant",
                                             "Conv",
                                             "ConvTranspose",
                                             "BatchNormalization",
                                             "MaxPool",
                                             "AveragePool",
                                             "GlobalAveragePool",
                                             "Pad",
                                             "Softmax",
                                             "ReduceMean",
                                             "ReduceSum",
                                             "Cast",
                                             "Shape",
                                             "ConstantOfShape"};

// Cases the importer must refuse, and a part of the message that says why.
const std::map<std::string, std::string> kExpectedRejections = {
    // Integer tensors exist only for shape computations (here they became constants).
    {"node/test_add_uint8", "u8"},
    {"node/test_sub_uint8", "u8"},
    {"node/test_mul_uint8", "u8"},
    {"node/test_div_uint8", "u8"},
    {"node/test_maxpool_2d_uint8", "u8"},
    {"node/test_clip_default_int8_inbounds", "i8"},
    {"node/test_clip_default_int8_max", "i8"},
    {"node/test_clip_default_int8_min", "i8"},
    {"node/test_reflect_pad", "attribute 'mode' = 'reflect' is not supported"},
    {"node/test_edge_pad", "attribute 'mode' = 'edge' is not supported"},
    {"node/test_batchnorm_epsilon_training_mode", "attribute 'training_mode' = 1 is not supported"},
    {"node/test_batchnorm_example_training_mode", "attribute 'training_mode' = 1 is not supported"},
    {"node/test_maxpool_with_argmax_2d_precomputed_pads", "the Indices) is used"},
    {"node/test_maxpool_with_argmax_2d_precomputed_strides", "the Indices) is used"},
    {"node/test_dropout_default_mask", "the mask) is used"},
    {"node/test_dropout_default_mask_ratio", "the mask) is used"},
    {"node/test_training_dropout", "Dropout in training mode"},
    {"node/test_training_dropout_default", "Dropout in training mode"},
    {"node/test_training_dropout_default_mask", "Dropout in training mode"},
    {"node/test_training_dropout_mask", "Dropout in training mode"},
    {"node/test_training_dropout_zero_ratio", "Dropout in training mode"},
    {"node/test_training_dropout_zero_ratio_mask", "Dropout in training mode"},
    {"node/test_identity_opt", "is not a tensor"},
    {"node/test_identity_sequence", "is not a tensor"},
    // Casts between float types of run-time values, and types BoundFlow does not hold.
    {"node/test_cast_DOUBLE_to_FLOAT", "Cast from f64 to f32 of a value computed at run time"},
    {"node/test_cast_FLOAT_to_DOUBLE", "Cast from f32 to f64 of a value computed at run time"},
    {"node/test_castlike_DOUBLE_to_FLOAT_expanded", "Cast from f64 to f32 of a value computed at run time"},
    {"node/test_castlike_FLOAT_to_DOUBLE_expanded", "Cast from f32 to f64 of a value computed at run time"},
    {"node/test_cast_BFLOAT16_to_FLOAT", "BFLOAT16"},
    {"node/test_cast_FLOAT_to_BFLOAT16", "BFLOAT16"},
    {"node/test_cast_DOUBLE_to_FLOAT16", "FLOAT16"},
    {"node/test_cast_FLOAT16_to_DOUBLE", "FLOAT16"},
    {"node/test_cast_FLOAT16_to_FLOAT", "FLOAT16"},
    {"node/test_cast_FLOAT_to_FLOAT16", "FLOAT16"},
    {"node/test_cast_FLOAT_to_STRING", "STRING"},
    {"node/test_cast_STRING_to_FLOAT", "STRING"},
    {"node/test_castlike_BFLOAT16_to_FLOAT_expanded", "BFLOAT16"},
    {"node/test_castlike_FLOAT_to_BFLOAT16_expanded", "BFLOAT16"},
    {"node/test_castlike_DOUBLE_to_FLOAT16_expanded", "FLOAT16"},
    {"node/test_castlike_FLOAT16_to_DOUBLE_expanded", "FLOAT16"},
    {"node/test_castlike_FLOAT16_to_FLOAT_expanded", "FLOAT16"},
    {"node/test_castlike_FLOAT_to_FLOAT16_expanded", "FLOAT16"},
    {"node/test_castlike_FLOAT_to_STRING_expanded", "STRING"},
    {"node/test_castlike_STRING_to_FLOAT_expanded", "STRING"},
};

onnx::ModelProto load_model_proto(const std::string& path) {
  onnx::ModelProto m;
  if (!m.ParseFromString(read_file(path))) throw std::runtime_error("cannot parse " + path);
  return m;
}

std::int64_t default_opset(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  }
  return -1;
}

// "node/test_relu" for every test folder whose model the importer is expected to handle.
std::vector<std::string> candidate_cases() {
  std::vector<std::string> out;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator"}) {
    fs::path root = fs::path(test::onnx_testdata_dir()) / suite;
    if (!fs::exists(root)) continue;
    for (const auto& dir : fs::directory_iterator(root)) {
      fs::path model = dir.path() / "model.onnx";
      if (!fs::exists(model)) continue;
      onnx::ModelProto m = load_model_proto(model.string());
      std::int64_t opset = default_opset(m);
      if (opset < 8 || opset > 17) continue;
      bool supported = true;
      for (const auto& n : m.graph().node()) {
        bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
        if (!default_domain || !kSupportedOps.count(n.op_type())) supported = false;
      }
      if (supported) out.push_back(std::string(suite) + "/" + dir.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_float_input(const onnx::ValueInfoProto& v) {
  if (!v.type().has_tensor_type()) return false;
  auto t = v.type().tensor_type().elem_type();
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE;
}

// Turns every graph input except the first float one into an initializer holding
// its value from `data_set`; returns the path of the rewritten model and the index
// of the input left live (-1 when none is).
std::pair<std::string, int> rewrite_model(const std::string& case_dir, const std::string& data_set,
                                          const std::string& scratch) {
  onnx::ModelProto m = load_model_proto(case_dir + "/model.onnx");
  auto* g = m.mutable_graph();
  int live = -1;
  for (int i = 0; i < g->input_size(); ++i) {
    const auto& in = g->input(i);
    if (live < 0 && is_float_input(in)) {
      live = i;
      continue;
    }
    std::string pb = data_set + "/input_" + std::to_string(i) + ".pb";
    if (!fs::exists(pb)) continue;  // an optional input the test leaves out
    onnx::TensorProto t;
    if (!in.type().has_tensor_type() || !t.ParseFromString(read_file(pb))) continue;  // sequences, optionals
    t.set_name(in.name());
    *g->add_initializer() = t;
  }
  std::string path = scratch + "/model.onnx";
  write_file(path, m.SerializeAsString());
  return {path, live};
}

class OnnxConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxConformance, ImportsAndReproducesOutputs) {
  const std::string name = GetParam();
  const std::string case_dir = test::onnx_testdata_dir() + "/" + name;
  std::string scratch = test::scratch_dir("import_conformance/" + name);
  std::vector<std::string> data_sets;
  for (const auto& d : fs::directory_iterator(case_dir)) {
    if (d.is_directory() && d.path().filename().string().rfind("test_data_set_", 0) == 0) {
      data_sets.push_back(d.path().string());
    }
  }
  std::sort(data_sets.begin(), data_sets.end());
  ASSERT_FALSE(data_sets.empty()) << case_dir;

  auto rejection = kExpectedRejections.find(name);
  for (const auto& data_set : data_sets) {
    auto [path, live] = rewrite_model(case_dir, data_set, scratch);
    if (rejection != kExpectedRejections.end()) {
      try {
        import_onnx(path);
        ADD_FAILURE() << name << " imported, but should be rejected (" << rejection->second << ")";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
        EXPECT_NE(std::string(e.what()).find(rejection->second), std::string::npos) << e.what();
        EXPECT_EQ(e.file(), path);
      }
      continue;
    }
    Graph g = import_onnx(path);
    std::vector<Tensor> inputs;
    if (live >= 0) inputs.push_back(load_tensor_proto(data_set + "/input_" + std::to_string(live) + ".pb"));
    ASSERT_EQ(g.inputs().size(), inputs.size()) << name;
    std::vector<Tensor> outputs = test::evaluate_graph(g, inputs);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      std::string pb = data_set + "/output_" + std::to_string(i) + ".pb";
      // ONNX's own backend tests allow rtol 1e-3; the kernels are held ten times closer.
      test::expect_close(outputs[i], load_tensor_proto(pb), 1e-5, 1e-4, name + " output " + std::to_string(i));
    }
  }
}

std::string case_label(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(LibOnnxTestData, OnnxConformance, ::testing::ValuesIn(candidate_cases()), case_label);

TEST(OnnxConformanceCoverage, EveryExpectedRejectionIsACandidate) {
  // A typo in the list above would otherwise silently exempt nothing.
  std::vector<std::string> cases = candidate_cases();
  for (const auto& [name, reason] : kExpectedRejections) {
    EXPECT_TRUE(std::find(cases.begin(), cases.end(), name) != cases.end()) << name;
  }
  std::printf("%zu conformance cases, %zu of them expected rejections\n", cases.size(), kExpectedRejections.size());
}

}  // namespace
}  // namespace bf
