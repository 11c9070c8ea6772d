// Deterministic byte-level corruption of a valid model: every variant must either
// import or fail with one user-facing bf::Error naming the file. A crash, a
// sanitizer report, a foreign exception or an Internal error (a broken BoundFlow
// invariant) fails the test.
#include <gtest/gtest.h>

#include <random>

#include "import_test_util.h"
#include "support/file_io.h"

namespace bf {
namespace {

using namespace test;

// Conv -> Relu -> (Shape/Gather/Unsqueeze/Concat) Reshape -> Gemm -> Softmax: many
// field kinds (ints, floats, strings, tensors, nested messages) to corrupt.
OnnxBuilder rich_model() {
  OnnxBuilder b(13);
  b.input("x", {"batch", 1, 6, 6});
  b.initializer("w", iota_f32({2, 1, 3, 3})).initializer("cb", f32({2}, {0.5f, -0.5f}));
  b.initializer("zero", Tensor::scalar<std::int64_t>(0)).initializer("axes0", i64({0}));
  b.initializer("minus_one", i64({-1})).initializer("fc", iota_f32({3, 72})).initializer("fb", f32({3}, {1, 2, 3}));
  auto& conv = b.node("Conv", {"x", "w", "cb"}, {"c"}, "conv");
  attr_ints(conv, "pads", {0, 0, 0, 0});
  attr_string(conv, "auto_pad", "SAME_UPPER");
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("Shape", {"r"}, {"s"}, "shape");
  b.node("Gather", {"s", "zero"}, {"n"}, "gather");
  b.node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze");
  attr_int(b.node("Concat", {"n1", "minus_one"}, {"t"}, "concat"), "axis", 0);
  b.node("Reshape", {"r", "t"}, {"flat"}, "reshape");
  attr_int(b.node("Gemm", {"flat", "fc", "fb"}, {"logits"}, "fc"), "transB", 1);
  b.node("Softmax", {"logits"}, {"y"}, "softmax");
  b.output("y", {"batch", 3});
  return b;
}

TEST(CorruptedModel, EveryVariantImportsOrFailsCleanly) {
  const std::string path = write_model(rich_model());
  const std::string original = read_file(path);
  ASSERT_NO_THROW(import_onnx(path));

  std::mt19937 rng(20240601);
  int imported = 0, rejected = 0;
  for (int round = 0; round < 400; ++round) {
    std::string bytes = original;
    switch (round % 4) {
      case 0:  // one random byte
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
        break;
      case 1:  // a few random bytes
        for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
        break;
      case 2:  // truncation
        bytes.resize(rng() % bytes.size());
        break;
      case 3:  // a bit flip in the structural head (tags and lengths, not weights)
        bytes[rng() % std::min<std::size_t>(bytes.size(), 200)] ^= static_cast<char>(1u << (rng() % 8));
        break;
    }
    write_file(path, bytes);
    try {
      Graph g = import_onnx(path);
      validate(g);
      ++imported;
    } catch (const Error& e) {
      ++rejected;
      EXPECT_NE(e.kind(), ErrorKind::Internal) << "round " << round << ": " << e.what();
      EXPECT_EQ(e.file(), path) << "round " << round << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "round " << round << ": foreign exception " << e.what();
    }
  }
  std::printf("corrupted variants: %d imported, %d rejected\n", imported, rejected);
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace bf
