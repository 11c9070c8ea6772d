// Parsing and writing VNN-COMP counterexample files.
#include "verify/counterexample.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "support/error.h"
#include "support/file_io.h"
#include "support/test_paths.h"

namespace bf {
namespace {

TEST(Counterexample, ParsesTheCompetitionLayout) {
  auto c = parse_counterexample(
      "((X_0  0.6094865202903748)\n(X_1  -0.22714567184448242)\n(Y_0 -0.01738765649497509)\n(Y_1 1e-05))\n");
  EXPECT_EQ(c.x, (std::vector<double>{0.6094865202903748, -0.22714567184448242}));
  EXPECT_EQ(c.y, (std::vector<double>{-0.01738765649497509, 1e-05}));
}

TEST(Counterexample, AcceptsAnyWhitespaceOrderAndSatLine) {
  auto c = parse_counterexample("sat\n(\n  (Y_0 +2)(X_1 3.5)\r\n\t(X_0 -1) )");
  EXPECT_EQ(c.x, (std::vector<double>{-1, 3.5}));
  EXPECT_EQ(c.y, (std::vector<double>{2}));
  EXPECT_TRUE(parse_counterexample("((X_0 1))").y.empty());
}

TEST(Counterexample, MalformedInputsAreParseErrorsNamingTheLine) {
  const char* bad[] = {
      "",                    // empty
      "((X_0 1)",            // unclosed
      "((X_0 1)) trailing",  // text after the assignment
      "((X_0 one))",         // not a number
      "((X_0 1 2))",         // two values
      "((Z_0 1))",           // unknown variable
      "((X_a 1))",           // bad index
      "((X_0 1) (X_0 2))",   // duplicate
      "((X_0 1) (X_2 2))",   // gap
      "((Y_0 1))",           // no X
      "((X_0 inf))",         // not finite
      "(X_0 1)",             // missing the outer list
  };
  for (const char* text : bad) {
    try {
      parse_counterexample(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Parse) << text << ": " << e.what();
    }
  }
  try {
    parse_counterexample("((X_0 1)\n(X_1 2)\n(X_2 x))");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

TEST(Counterexample, WriteReadRoundTripIsExact) {
  Counterexample c{{0.1, -1e-300, 123456789.123456789, 0.0}, {-0.017387656494975092, 5e-324}};
  const std::string path = test::scratch_dir("counterexample_roundtrip") + "/c.counterexample";
  write_counterexample(path, c);
  Counterexample back = read_counterexample(path);
  EXPECT_EQ(back.x, c.x);
  EXPECT_EQ(back.y, c.y);
}

TEST(Counterexample, ReadsGzipAndNamesTheFileOnError) {
  const std::string dir = test::scratch_dir("counterexample_gz");
  const std::string text = "((X_0 1.5)\n(Y_0 -2))\n";
  gzFile gz = gzopen((dir + "/c.counterexample.gz").c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  auto c = read_counterexample(dir + "/c.counterexample.gz");
  EXPECT_EQ(c.x, (std::vector<double>{1.5}));
  EXPECT_EQ(c.y, (std::vector<double>{-2}));
  write_file(dir + "/bad.counterexample", "((X_0 1)");
  try {
    read_counterexample(dir + "/bad.counterexample");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.file(), dir + "/bad.counterexample");
  }
}

}  // namespace
}  // namespace bf
