// The VNN-LIB reader: what a property means (boxes, polytopes, the cases of
// `or` and of plain asserts around it), .gz files, and every kind of bad file
// ending in one line that names the file and the line.
#include "frontend/vnnlib/vnnlib.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "support/error.h"
#include "support/file_io.h"
#include "support/test_paths.h"

namespace bf {
namespace {

std::string write_property(const std::string& name, const std::string& text) {
  const std::string path = test::scratch_dir("vnnlib_" + name) + "/" + name + ".vnnlib";
  write_file(path, text);
  return path;
}

const char* kDecl2x3 =
    "; two inputs, three outputs\n"
    "(declare-const X_0 Real)\n(declare-const X_1 Real)\n"
    "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(declare-const Y_2 Real)\n";

const char* kBox = "(assert (<= X_0 1.0))\n(assert (>= X_0 -1.0))\n(assert (<= X_1 0.5))\n(assert (>= X_1 0.25))\n";

// The message of the error reading `text`, which must be one line naming the file.
std::string error_of(const std::string& name, const std::string& text, std::int64_t inputs = -1,
                     std::int64_t outputs = -1) {
  const std::string path = write_property(name, text);
  try {
    parse_vnnlib(path, inputs, outputs);
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find(path + ":"), std::string::npos) << "no file:line in: " << msg;
    return msg;
  }
  ADD_FAILURE() << name << ": no error";
  return "";
}

TEST(Vnnlib, BoxAndOnePolytope) {
  const auto p = parse_vnnlib(write_property("simple", std::string(kDecl2x3) + kBox + "(assert (>= Y_0 Y_1))\n"));
  EXPECT_EQ(p.num_inputs, 2);
  EXPECT_EQ(p.num_outputs, 3);
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_EQ(p.cases[0].lower, (std::vector<double>{-1.0, 0.25}));
  EXPECT_EQ(p.cases[0].upper, (std::vector<double>{1.0, 0.5}));
  ASSERT_EQ(p.cases[0].polytopes.size(), 1u);
  // Y_0 >= Y_1  <=>  -Y_0 + Y_1 <= 0
  EXPECT_EQ(p.cases[0].polytopes[0].rows, (std::vector<std::vector<double>>{{-1.0, 1.0, 0.0}}));
  EXPECT_EQ(p.cases[0].polytopes[0].rhs, (std::vector<double>{0.0}));
}

TEST(Vnnlib, OrOfOutputConstraintsGivesPolytopesOfOneBox) {
  const auto p = parse_vnnlib(write_property(
      "or_outputs",
      std::string(kDecl2x3) + kBox + "(assert (or (and (>= Y_1 Y_0)) (and (>= Y_2 Y_0) (<= Y_2 3.5))))\n"));
  ASSERT_EQ(p.cases.size(), 1u);
  ASSERT_EQ(p.cases[0].polytopes.size(), 2u);
  EXPECT_EQ(p.cases[0].polytopes[0].rows.size(), 1u);
  EXPECT_EQ(p.cases[0].polytopes[1].rows, (std::vector<std::vector<double>>{{1.0, 0.0, -1.0}, {0.0, 0.0, 1.0}}));
  EXPECT_EQ(p.cases[0].polytopes[1].rhs, (std::vector<double>{0.0, 3.5}));
}

TEST(Vnnlib, InputDisjunctsMakeBoxesAndLaterPlainAssertsJoinEveryCase) {
  // Two boxes from the `or`; the Y assert after it applies to both.
  const auto p = parse_vnnlib(write_property(
      "or_inputs", std::string(kDecl2x3) + "(assert (or (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1))\n"
                                           "            (and (>= X_0 2) (<= X_0 3) (>= X_1 0) (<= X_1 1))))\n"
                                           "(assert (<= Y_2 -1))\n"));
  ASSERT_EQ(p.cases.size(), 2u);
  EXPECT_EQ(p.cases[0].lower, (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(p.cases[1].lower, (std::vector<double>{2.0, 0.0}));
  for (const auto& c : p.cases) {
    ASSERT_EQ(c.polytopes.size(), 1u);
    EXPECT_EQ(c.polytopes[0].rows, (std::vector<std::vector<double>>{{0.0, 0.0, 1.0}}));
    EXPECT_EQ(c.polytopes[0].rhs, (std::vector<double>{-1.0}));
  }
}

TEST(Vnnlib, TwoOrAssertsMultiplyAndEqualBoxesMerge) {
  // (box A or box B) and (Y row r or Y row s): four cases, two boxes with two polytopes each.
  const auto p = parse_vnnlib(write_property(
      "two_ors", std::string(kDecl2x3) + "(assert (or (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1))\n"
                                         "            (and (>= X_0 2) (<= X_0 3) (>= X_1 0) (<= X_1 1))))\n"
                                         "(assert (or (<= Y_0 0) (>= Y_1 5)))\n"));
  ASSERT_EQ(p.cases.size(), 2u);
  for (const auto& c : p.cases) EXPECT_EQ(c.polytopes.size(), 2u);
}

TEST(Vnnlib, DisjointDisjunctsAreDropped) {
  // X_0 <= 0 and (X_0 >= 1 or X_0 >= -1): the first combination is empty.
  const auto p = parse_vnnlib(write_property(
      "disjoint", std::string(kDecl2x3) + "(assert (<= X_0 0))\n(assert (>= X_1 0))\n(assert (<= X_1 1))\n"
                                          "(assert (or (>= X_0 1) (>= X_0 -1)))\n(assert (<= Y_0 0))\n"));
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_EQ(p.cases[0].lower[0], -1.0);
  EXPECT_EQ(p.cases[0].upper[0], 0.0);
}

TEST(Vnnlib, NumbersInEveryFormAndCommentsAnywhere) {
  const auto p = parse_vnnlib(
      write_property("numbers",
                     "(declare-const X_0 Real) ; trailing comment\n(declare-const Y_0 Real)\n"
                     "(assert (>= X_0 -1.5e-3))\n(assert (<= X_0 +2E2))\n; a comment line\n(assert (<= Y_0 .5))\n"));
  EXPECT_EQ(p.cases[0].lower[0], -1.5e-3);
  EXPECT_EQ(p.cases[0].upper[0], 200.0);
  EXPECT_EQ(p.cases[0].polytopes[0].rhs[0], 0.5);
}

TEST(Vnnlib, GzipFilesAreReadDirectly) {
  const std::string text = std::string(kDecl2x3) + kBox + "(assert (<= Y_0 Y_2))\n";
  const std::string path = test::scratch_dir("vnnlib_gz") + "/p.vnnlib.gz";
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  const auto p = parse_vnnlib(path);
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_EQ(p.cases[0].polytopes[0].rows, (std::vector<std::vector<double>>{{1.0, 0.0, -1.0}}));
}

TEST(Vnnlib, EveryBadFileIsOneLineNamingFileAndLine) {
  const std::string decl = kDecl2x3;
  struct Bad {
    std::string name, text, needle;
    std::int64_t inputs = -1, outputs = -1;
  };
  const std::vector<Bad> cases = {
      {"undeclared", decl + kBox + "(assert (<= Y_7 0))\n", ":11: undeclared variable Y_7"},
      {"no_upper", decl + "(assert (>= X_0 0))\n(assert (>= X_1 0))\n(assert (<= X_1 1))\n(assert (<= Y_0 0))\n",
       "X_0 has no upper bound"},
      {"empty_box", decl + kBox + "(assert (>= X_0 5))\n(assert (<= Y_0 0))\n", "the input box is empty: X_0"},
      {"unbalanced", decl + kBox + "(assert (<= Y_0 0)\n", "end of file"},
      {"unknown_op", decl + kBox + "(assert (< Y_0 0))\n", ":11: unsupported operator '<'"},
      {"unknown_cmd", decl + kBox + "(check-sat)\n", ":11: unsupported command 'check-sat'"},
      {"bad_number", decl + kBox + "(assert (<= Y_0 1e999))\n", "number 1e999 is out of range"},
      {"bad_name", "(declare-const Z_0 Real)\n", ":1: variable 'Z_0' is neither X_<i> nor Y_<j>"},
      {"bad_type", "(declare-const X_0 Int)\n", ":1: variable X_0 has type Int"},
      {"x_vs_y", decl + kBox + "(assert (<= X_0 Y_0))\n", "only outputs may be compared with each other"},
      {"no_inputs", "(declare-const Y_0 Real)\n(assert (<= Y_0 0))\n", "no input variable"},
      {"inputs_mismatch", decl + kBox + "(assert (<= Y_0 0))\n", "declares 2 inputs but the network has 5", 5, 3},
      {"outputs_mismatch", decl + kBox + "(assert (<= Y_2 0))\n", "declares Y_2 but the network has 2 outputs", 2, 2},
      {"empty_or", decl + kBox + "(assert (or))\n", ":11: empty or"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string msg = error_of(c.name, c.text, c.inputs, c.outputs);
    EXPECT_NE(msg.find(c.needle), std::string::npos) << "'" << c.needle << "' not in: " << msg;
  }
}

TEST(Vnnlib, MissingAndTruncatedFilesAreOneLine) {
  try {
    parse_vnnlib("/nonexistent/dir/prop.vnnlib");
    FAIL() << "no error for a missing file";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("/nonexistent/dir/prop.vnnlib"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // A gzip stream cut in half.
  const std::string text = std::string(kDecl2x3) + kBox + "(assert (<= Y_0 Y_2))\n";
  const std::string whole = test::scratch_dir("vnnlib_cut") + "/whole.vnnlib.gz";
  gzFile gz = gzopen(whole.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  const std::string bytes = read_file(whole);
  const std::string cut = test::scratch_dir("vnnlib_cut2") + "/cut.vnnlib.gz";
  write_file(cut, bytes.substr(0, bytes.size() / 2));
  try {
    parse_vnnlib(cut);
    FAIL() << "no error for a truncated gzip file";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(cut), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace bf
