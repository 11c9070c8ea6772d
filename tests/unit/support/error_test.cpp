#include "support/error.h"

#include <gtest/gtest.h>

namespace bf {

TEST(Error, RendersContextOnOneLine) {
  Error e(ErrorKind::Unsupported, "attribute 'mode'\n= 'reflect' is not supported");
  e.with_node("pad1", "Pad").with_file("net.onnx");
  EXPECT_STREQ(e.what(), "net.onnx: node 'pad1' (Pad): attribute 'mode' = 'reflect' is not supported");
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
}

TEST(Error, InnermostContextWins) {
  Error e(ErrorKind::Shape, "bad");
  e.with_node("inner", "Conv");
  e.with_node("outer", "Relu");
  e.with_file("a.onnx");
  e.with_file("b.onnx");
  EXPECT_STREQ(e.what(), "a.onnx: node 'inner' (Conv): bad");
}

TEST(Error, CheckMacroThrowsFormattedMessage) {
  try {
    BF_CHECK(1 + 1 == 3, ErrorKind::Invalid, "expected {} got {}", 3, 2);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "expected 3 got 2");
    EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  }
}

}  // namespace bf
