// Malformed or unsupported models: each must end in one bf::Error that names the
// file (and the node, when a node is at fault), never a crash or a partial graph.
#include <gtest/gtest.h>

#include "import_test_util.h"
#include "support/file_io.h"

namespace bf {
namespace {

using namespace test;

// x[1,4] -> Gemm(w[3,4], b[3], transB=1) -> Relu -> y: a valid model the tests break.
OnnxBuilder valid_mlp(std::int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("x", {1, 4}).initializer("w", test::iota_f32({3, 4})).initializer("b", f32({3}, {1, 2, 3}));
  attr_int(b.node("Gemm", {"x", "w", "b"}, {"h"}, "fc"), "transB", 1);
  b.node("Relu", {"h"}, {"y"}, "relu");
  b.output("y");
  return b;
}

TEST(MalformedModel, ValidBaselineImports) {
  Graph g = import_onnx(write_model(valid_mlp()));
  EXPECT_EQ(g.nodes().size(), 2u);
}

TEST(MalformedModel, EmptyFile) {
  std::string path = write_model(OnnxBuilder());
  write_file(path, "");
  Error e = import_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::Parse);
  EXPECT_EQ(std::string(e.what()), path + ": empty file");
}

TEST(MalformedModel, TruncatedModel) {
  // The first half of a real model: the cut falls inside the graph's weights.
  OnnxBuilder b = valid_mlp();
  b.initializer("big", test::iota_f32({64, 64}));
  std::string path = write_model(b);
  std::string bytes = read_file(path);
  write_file(path, bytes.substr(0, bytes.size() / 2));
  Error e = import_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::Parse);
  EXPECT_EQ(std::string(e.what()), path + ": not a valid ONNX model (protobuf parse failed)");
}

TEST(MalformedModel, GzipNameWithoutGzipContent) {
  std::string path = write_model(valid_mlp(), "model.onnx.gz");
  Error e = import_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_TRUE(contains(e.what(), path + ": ")) << e.what();
}

TEST(MalformedModel, TextIsNotAModel) {
  std::string path = write_model(OnnxBuilder());
  write_file(path, "this is a text file, not an ONNX model\n");
  Error e = import_error(path);
  EXPECT_TRUE(e.kind() == ErrorKind::Parse || e.kind() == ErrorKind::Invalid) << e.what();
  EXPECT_TRUE(contains(e.what(), path + ": not a valid ONNX model")) << e.what();
}

TEST(MalformedModel, ModelWithoutGraph) {
  OnnxBuilder b;
  b.model().clear_graph();
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "not a valid ONNX model (no graph)")) << e.what();
}

TEST(MalformedModel, ModelWithoutIrVersion) {
  OnnxBuilder b = valid_mlp();
  b.model().clear_ir_version();
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "no ir_version")) << e.what();
}

TEST(MalformedModel, ModelWithoutDefaultOpset) {
  OnnxBuilder b = valid_mlp();
  b.model().mutable_opset_import(0)->set_domain("ai.onnx.ml");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "no opset_import for the default domain")) << e.what();
}

TEST(MalformedModel, UnsupportedOpsets) {
  for (std::int64_t opset : {7, 18}) {
    std::string path = write_model(valid_mlp(opset));
    Error e = import_error(path);
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_EQ(std::string(e.what()), path + ": opset " + std::to_string(opset) +
                                         " of the default ONNX domain is not supported (supported: 8..17)");
  }
}

TEST(MalformedModel, AiOnnxDomainNameIsTheDefaultDomain) {
  OnnxBuilder b = valid_mlp(11);
  b.model().mutable_opset_import(0)->set_domain("ai.onnx");
  EXPECT_EQ(import_onnx(write_model(b)).opset, 11);
}

TEST(MalformedModel, UnknownOperator) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.node("Foo", {"x"}, {"y"}, "foo1");
  b.output("y");
  std::string path = write_model(b);
  Error e = import_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_EQ(std::string(e.what()), path + ": node 'foo1' (Foo): unsupported operator 'Foo'");
  EXPECT_EQ(e.node(), "foo1");
  EXPECT_EQ(e.op(), "Foo");
}

TEST(MalformedModel, OperatorFromAnotherDomain) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.node("Relu", {"x"}, {"y"}, "r").set_domain("com.microsoft");
  b.output("y");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "node 'r' (Relu): operator 'Relu' of domain 'com.microsoft' is not supported"))
      << e.what();
}

TEST(MalformedModel, MissingInitializer) {
  OnnxBuilder b = valid_mlp();
  b.model().mutable_graph()->mutable_initializer()->RemoveLast();  // "b"
  std::string path = write_model(b);
  Error e = import_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_EQ(std::string(e.what()),
            path + ": node 'fc' (Gemm): input 'b' is not produced by any node, graph input or initializer");
}

TEST(MalformedModel, GemmWeightThatDoesNotFit) {
  OnnxBuilder b;
  b.input("x", {1, 4}).initializer("w", test::iota_f32({3, 5}));
  attr_int(b.node("Gemm", {"x", "w"}, {"y"}, "fc"), "transB", 1);
  b.output("y");
  std::string path = write_model(b);
  Error e = import_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::Shape);
  EXPECT_EQ(e.file(), path);
  EXPECT_TRUE(contains(e.what(), "node 'fc' (Gemm): Gemm inner dimensions differ")) << e.what();
}

TEST(MalformedModel, UnsupportedAttributeValue) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 2, 2}).initializer("pads", test::i64({0, 0, 1, 1, 0, 0, 1, 1}));
  attr_string(b.node("Pad", {"x", "pads"}, {"y"}, "pad"), "mode", "reflect");
  b.output("y");
  std::string path = write_model(b);
  Error e = import_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_EQ(std::string(e.what()), path + ": node 'pad' (Pad): attribute 'mode' = 'reflect' is not supported");
}

TEST(MalformedModel, UnknownAttribute) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  attr_int(b.node("Relu", {"x"}, {"y"}, "r"), "fancy", 1);
  b.output("y");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "node 'r' (Relu): attribute 'fancy' is not supported")) << e.what();
}

TEST(MalformedModel, AttributeOfTheWrongType) {
  OnnxBuilder b;
  b.input("x", {2, 3});
  attr_float(b.node("Flatten", {"x"}, {"y"}, "f"), "axis", 1.0f);
  b.output("y");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "attribute 'axis' should be of type int, is float")) << e.what();
}

TEST(MalformedModel, IntegerGraphInput) {
  OnnxBuilder b;
  b.input("ids", {1, 4}, onnx::TensorProto::INT64);
  b.node("Relu", {"ids"}, {"y"});
  b.output("y");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "graph input 'ids' has data type INT64")) << e.what();
}

TEST(MalformedModel, DeclaredOutputShapeDisagrees) {
  OnnxBuilder b = valid_mlp();
  b.model().mutable_graph()->clear_output();
  b.output("y", {1, 5});
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Shape);
  EXPECT_TRUE(
      contains(e.what(), "value 'y' is declared with shape [1,5] in the model but the importer infers f32[1,3]"))
      << e.what();
}

TEST(MalformedModel, DeclaredValueInfoDisagrees) {
  OnnxBuilder b = valid_mlp();
  b.value_info("h", {"batch", 7});
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Shape);
  EXPECT_TRUE(contains(e.what(), "value 'h' is declared with shape [batch,7]")) << e.what();
}

TEST(MalformedModel, UsedDropoutMask) {
  OnnxBuilder b(13);
  b.input("x", {1, 4});
  b.node("Dropout", {"x"}, {"y", "mask"}, "drop");
  b.node("Cast", {"mask"}, {"m"}, "cast");
  b.output("y").output("m");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "node 'drop' (Dropout): output 1 ('mask', the mask) is used")) << e.what();
}

TEST(MalformedModel, DropoutInTrainingMode) {
  OnnxBuilder b(13);
  b.input("x", {1, 4}).initializer("train", Tensor::scalar<bool>(true));
  b.node("Dropout", {"x", "", "train"}, {"y"}, "drop");
  b.output("y");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "Dropout in training mode is not supported")) << e.what();
}

TEST(MalformedModel, CycleBetweenNodes) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.node("Add", {"x", "b"}, {"a"}, "n1");
  b.node("Relu", {"a"}, {"b"}, "n2");
  b.output("b");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "the graph has a cycle through node")) << e.what();
}

TEST(MalformedModel, ValueProducedTwice) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.node("Relu", {"x"}, {"y"}, "r1");
  b.node("Neg", {"x"}, {"y"}, "r2");
  b.output("y");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "value 'y' is defined more than once")) << e.what();
}

TEST(MalformedModel, InitializerDataOfTheWrongLength) {
  OnnxBuilder b = valid_mlp();
  auto* w = b.model().mutable_graph()->mutable_initializer(0);
  w->mutable_raw_data()->resize(w->raw_data().size() - 4);
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "tensor 'w' of shape [3,4] and type FLOAT needs 48 bytes of raw_data, has 44"))
      << e.what();
}

TEST(MalformedModel, UnsupportedInitializerType) {
  OnnxBuilder b = valid_mlp();
  auto* w = b.model().mutable_graph()->mutable_initializer(0);
  w->set_data_type(onnx::TensorProto::FLOAT16);
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "tensor 'w' has data type FLOAT16, which is not supported")) << e.what();
}

TEST(MalformedModel, GraphOutputNeverProduced) {
  OnnxBuilder b = valid_mlp();
  b.output("nowhere");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "graph output 'nowhere' is not produced by any node")) << e.what();
}

TEST(MalformedModel, ReshapeToARunTimeShape) {
  OnnxBuilder b;
  b.input("x", {2, 3}).input("s", {2});
  b.node("Reshape", {"x", "s"}, {"y"}, "reshape");
  b.output("y");
  Error e = import_error(write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "node 'reshape' (Reshape): input 1 ('s', the target shape) must be a constant"))
      << e.what();
}

}  // namespace
}  // namespace bf
