// TensorProto -> Tensor: raw_data and every typed field BoundFlow reads, and the
// ways a tensor can be malformed.
#include <gtest/gtest.h>

#include "frontend/onnx/onnx_importer.h"
#include "import_test_util.h"
#include "support/file_io.h"

namespace bf {
namespace {

using test::contains;

onnx::TensorProto typed(int data_type, std::vector<std::int64_t> dims) {
  onnx::TensorProto p;
  p.set_name("t");
  p.set_data_type(data_type);
  for (auto d : dims) p.add_dims(d);
  return p;
}

Error conversion_error(const onnx::TensorProto& p) {
  try {
    tensor_from_proto(p);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "conversion did not fail";
  return Error(ErrorKind::Internal, "none");
}

TEST(TensorProto, RawDataFloat) {
  onnx::TensorProto p = test::tensor_to_proto(test::f32({2, 2}, {1.5f, -2.0f, 0.25f, 8.0f}), "w");
  Tensor t = tensor_from_proto(p);
  EXPECT_EQ(t.dtype(), DType::F32);
  EXPECT_EQ(t.shape(), Shape({2, 2}));
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1.5f, -2.0f, 0.25f, 8.0f}));
}

TEST(TensorProto, TypedFields) {
  auto f = typed(onnx::TensorProto::FLOAT, {2});
  f.add_float_data(3.5f);
  f.add_float_data(-1.0f);
  EXPECT_EQ(tensor_from_proto(f).to_vector<float>(), (std::vector<float>{3.5f, -1.0f}));

  auto d = typed(onnx::TensorProto::DOUBLE, {1});
  d.add_double_data(0.1);
  EXPECT_EQ(tensor_from_proto(d).to_vector<double>(), std::vector<double>{0.1});

  auto l = typed(onnx::TensorProto::INT64, {3});
  for (std::int64_t v : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{1} << 40}) l.add_int64_data(v);
  EXPECT_EQ(tensor_from_proto(l).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, 0, std::int64_t{1} << 40}));

  auto i = typed(onnx::TensorProto::INT32, {2});
  i.add_int32_data(-7);
  i.add_int32_data(9);
  EXPECT_EQ(tensor_from_proto(i).to_vector<std::int32_t>(), (std::vector<std::int32_t>{-7, 9}));

  auto i8 = typed(onnx::TensorProto::INT8, {2});
  i8.add_int32_data(-128);
  i8.add_int32_data(127);
  EXPECT_EQ(tensor_from_proto(i8).to_vector<std::int8_t>(), (std::vector<std::int8_t>{-128, 127}));

  auto u8 = typed(onnx::TensorProto::UINT8, {1});
  u8.add_int32_data(255);
  EXPECT_EQ(tensor_from_proto(u8).to_vector<std::uint8_t>(), std::vector<std::uint8_t>{255});

  auto b = typed(onnx::TensorProto::BOOL, {2});
  b.add_int32_data(1);
  b.add_int32_data(0);
  EXPECT_EQ(tensor_from_proto(b).to_vector<bool>(), (std::vector<bool>{true, false}));
}

TEST(TensorProto, ScalarAndEmpty) {
  auto s = typed(onnx::TensorProto::FLOAT, {});
  s.add_float_data(2.0f);
  Tensor t = tensor_from_proto(s);
  EXPECT_EQ(t.rank(), 0);
  EXPECT_EQ(t.to_vector<float>(), std::vector<float>{2.0f});
  EXPECT_EQ(tensor_from_proto(typed(onnx::TensorProto::INT64, {0})).numel(), 0);
}

TEST(TensorProto, ValueOutOfRangeOfItsType) {
  auto u8 = typed(onnx::TensorProto::UINT8, {1});
  u8.add_int32_data(256);
  Error e = conversion_error(u8);
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "tensor 't' holds the value 256")) << e.what();
}

TEST(TensorProto, CountDoesNotMatchShape) {
  auto f = typed(onnx::TensorProto::FLOAT, {2, 2});
  f.add_float_data(1.0f);
  Error e = conversion_error(f);
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "tensor 't' of shape [2,2] holds 1 values, expected 4")) << e.what();
}

TEST(TensorProto, HugeShapesFailBeforeAllocating) {
  auto overflow = typed(onnx::TensorProto::FLOAT, {std::int64_t{1} << 40, std::int64_t{1} << 40});
  Error e = conversion_error(overflow);
  EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e.what(), "has more elements than fit in 64 bits")) << e.what();

  // A terabyte-sized header with four bytes of data is rejected, not allocated.
  auto huge = typed(onnx::TensorProto::FLOAT, {std::int64_t{1} << 38});
  huge.set_raw_data(std::string(4, '\0'));
  Error e2 = conversion_error(huge);
  EXPECT_EQ(e2.kind(), ErrorKind::Invalid);
  EXPECT_TRUE(contains(e2.what(), "needs 1099511627776 bytes of raw_data, has 4")) << e2.what();

  auto negative = typed(onnx::TensorProto::FLOAT, {2, -1});
  EXPECT_EQ(conversion_error(negative).kind(), ErrorKind::Invalid);
}

TEST(TensorProto, ExternalDataIsUnsupported) {
  auto f = typed(onnx::TensorProto::FLOAT, {2});
  f.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* entry = f.add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  Error e = conversion_error(f);
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(contains(e.what(), "tensor 't' uses external data")) << e.what();
}

TEST(TensorProto, UnsupportedDataTypes) {
  for (int type : {onnx::TensorProto::FLOAT16, onnx::TensorProto::STRING, onnx::TensorProto::UINT64,
                   onnx::TensorProto::BFLOAT16, onnx::TensorProto::UNDEFINED}) {
    Error e = conversion_error(typed(type, {0}));
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
  }
}

TEST(TensorProto, LoadsOnnxTestDataFile) {
  // Debian's ONNX conformance data: test_relu's input is a float tensor of shape [3,4,5].
  std::string path = test::onnx_testdata_dir() + "/node/test_relu/test_data_set_0/input_0.pb";
  Tensor t = load_tensor_proto(path);
  EXPECT_EQ(t.dtype(), DType::F32);
  EXPECT_EQ(t.shape(), Shape({3, 4, 5}));
}

TEST(TensorProto, LoadErrorsNameTheFile) {
  std::string dir = test::scratch_dir("frontend_tensor_proto_load_errors");
  std::string empty = dir + "/empty.pb";
  write_file(empty, "");
  try {
    load_tensor_proto(empty);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), empty + ": empty file");
  }
  std::string truncated = dir + "/truncated.pb";
  std::string bytes = test::tensor_to_proto(test::iota_f32({16}), "x").SerializeAsString();
  write_file(truncated, bytes.substr(0, bytes.size() - 10));
  try {
    load_tensor_proto(truncated);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Parse);
    EXPECT_EQ(e.file(), truncated);
  }
}

}  // namespace
}  // namespace bf
