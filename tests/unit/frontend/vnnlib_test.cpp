// The VNN-LIB reader: what a property means (boxes, polytopes, the cases of
// `or` and of plain asserts around it), .gz files, and every kind of bad file
// ending in one line that names the file and the line.
#include "frontend/vnnlib/vnnlib.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cctype>
#include <cstdio>
#include <set>

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

// The same two inputs and three outputs as a 2.0 network, X [1,2] and Y [1,3].
const char* kNet2 =
    "(vnnlib-version <2.0>)\n"
    "(declare-network N\n  (declare-input X float32 [1, 2])\n  (declare-output Y float32 [1,3]))\n";

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

// `count` asserts of an `or` of 8 output constraints each: 8^count cases.
std::string eight_way_ors(int count) {
  std::string out;
  for (int a = 0; a < count; ++a) {
    out += "(assert (or";
    for (int k = 0; k < 8; ++k) out += " (<= Y_0 " + std::to_string(k) + ")";
    out += "))\n";
  }
  return out;
}

// 100 inputs in [0, 1] and one output.
std::string hundred_inputs() {
  std::string out;
  for (int i = 0; i < 100; ++i) out += "(declare-const X_" + std::to_string(i) + " Real)\n";
  out += "(declare-const Y_0 Real)\n";
  for (int i = 0; i < 100; ++i)
    out += "(assert (>= X_" + std::to_string(i) + " 0))\n(assert (<= X_" + std::to_string(i) + " 1))\n";
  return out;
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
      {"unknown_op", decl + kBox + "(assert (max Y_0 0))\n", ":11: unsupported operator 'max'"},
      {"unknown_cmd", decl + kBox + "(check-sat)\n", ":11: unsupported command 'check-sat'"},
      {"bad_number", decl + kBox + "(assert (<= Y_0 1e999))\n", "number 1e999 is out of range"},
      {"bad_name", "(declare-const Z_0 Real)\n", ":1: variable 'Z_0' is neither X_<i> nor Y_<j>"},
      {"bad_type", "(declare-const X_0 Int)\n", ":1: variable X_0 has type Int"},
      {"x_vs_y", decl + kBox + "(assert (<= X_0 Y_0))\n", "only outputs may be compared with each other"},
      {"no_inputs", "(declare-const Y_0 Real)\n(assert (<= Y_0 0))\n", "no input variable"},
      {"inputs_mismatch", decl + kBox + "(assert (<= Y_0 0))\n", "declares 2 inputs but the network has 5", 5, 3},
      {"outputs_mismatch", decl + kBox + "(assert (<= Y_2 0))\n", "declares Y_2 but the network has 2 outputs", 2, 2},
      {"empty_or", decl + kBox + "(assert (or))\n", ":11: empty or"},
      // Terms.
      {"product", decl + kBox + "(assert (<= (* Y_0 Y_1) 0))\n", ":11: a product of two variables"},
      {"divide_var", decl + kBox + "(assert (<= (/ 1 Y_1) 0))\n", ":11: a division by a variable"},
      {"divide_zero", decl + kBox + "(assert (<= (/ Y_1 0) 0))\n", ":11: a division by zero"},
      {"two_inputs", decl + kBox + "(assert (<= (+ X_0 X_1) 1))\n", ":11: a constraint over several inputs"},
      {"mixed", decl + kBox + "(assert (<= (+ X_0 Y_1) 1))\n", ":11: a constraint relating inputs and outputs"},
      {"term_as_formula", decl + kBox + "(assert (+ Y_0 1))\n", ":11: '+' makes a number where a formula belongs"},
      {"formula_as_term", decl + kBox + "(assert (<= (and Y_0) 1))\n", ":11: 'and' makes a formula"},
      {"one_operand", decl + kBox + "(assert (<= Y_0))\n", ":11: '<=' needs two operands"},
      {"bare_symbol", decl + kBox + "(assert Y_0)\n", ":11: expected a formula in assert, got 'Y_0'"},
      {"two_formulas", decl + kBox + "(assert (<= Y_0 0) (<= Y_1 0))\n", ":11: assert takes one formula"},
      {"not_two", decl + kBox + "(assert (not (<= Y_0 0) (<= Y_1 0)))\n", ":11: not takes one formula"},
      {"nan", decl + kBox + "(assert (<= Y_0 nan))\n", "'nan' is neither a declared variable nor a number"},
      {"inf", decl + kBox + "(assert (<= Y_0 inf))\n", "'inf' is neither a declared variable nor a number"},
      {"hex", decl + kBox + "(assert (<= Y_0 0x10))\n", "'0x10' is neither a declared variable nor a number"},
      {"huge_coeff", decl + kBox + "(assert (<= (* 1e300 1e300 Y_0) 0))\n", "a coefficient out of range"},
      {"rounded_bound", decl + kBox + "(assert (<= (+ Y_0 1e-20) 1))\n", ":11: arithmetic on constants here rounds"},
      {"rounded_coeff", decl + kBox + "(assert (<= (* 0.1 3 Y_0) 1))\n", ":11: arithmetic on constants here rounds"},
      {"rounded_divide", decl + kBox + "(assert (<= (/ Y_0 3) 1))\n", ":11: arithmetic on constants here rounds"},
      {"open_head", decl + kBox + "(assert ((<= Y_0 0)))\n", "expected an operator after '('"},
      {"long_token", decl + kBox + "(assert (<= Y_0 " + std::string(300, '1') + "))\n", "longer than 256"},
      {"binary", decl + kBox + "(assert (<= Y_0 \x01))\n", "a byte 0x01 that is not text"},
      {"unclosed_quote", decl + kBox + "(assert (<= |Y_0 0))\n",
       ":11: a symbol quoted with | is not closed on its line"},
      {"always_false", decl + kBox + "(assert (<= 1 0))\n", "always false"},
      {"too_many_cases", decl + kBox + eight_way_ors(7), "more than 1000000 cases"},
      {"too_much_work", hundred_inputs() + eight_way_ors(6), "262144 cases of 100 inputs: more than this reader"},
      // 2.0.
      {"v2_const", "(vnnlib-version <2.0>)\n(declare-const X_0 Real)\n", ":2: declare-const is VNN-LIB 1.0"},
      {"v2_version", "(vnnlib-version <3.0>)\n", ":1: VNN-LIB version 3.0 is not supported"},
      {"v2_version_form", "(vnnlib-version two)\n", ":1: version 'two' is not <major.minor>"},
      {"v2_version_late", std::string(kNet2) + "(vnnlib-version <2.0>)\n", "must be the first form"},
      {"v2_two_networks", std::string(kNet2) + "(declare-network g (declare-input A float32 [2]))\n",
       "a second network 'g' (after 'N'): properties over several networks are not supported yet"},
      {"v2_hidden",
       "(vnnlib-version <2.0>)\n(declare-network N (declare-input X float32 [1,2]) (declare-hidden H float32 [4] "
       "\"relu_1\") (declare-output Y float32 [1,3]))\n",
       "declare-hidden H: constraints on hidden values are not supported yet"},
      {"v2_two_inputs",
       "(vnnlib-version <2.0>)\n(declare-network N (declare-input X float32 [2]) (declare-input Z float32 [2]) "
       "(declare-output Y float32 [3]))\n",
       "a second input 'Z'"},
      {"v2_type", "(vnnlib-version <2.0>)\n(declare-network N (declare-input X int8 [2]))\n",
       "X has type int8; only floating-point and real tensors are supported"},
      {"v2_shape", "(vnnlib-version <2.0>)\n(declare-network N (declare-input X float32 [2,0]))\n",
       "shape [2,0] has a dimension of 0"},
      {"v2_shape_text", "(vnnlib-version <2.0>)\n(declare-network N (declare-input X float32 [2,a]))\n",
       "'a' is not a dimension"},
      {"v2_bracket", "(vnnlib-version <2.0>)\n(declare-network N (declare-input X float32 [2,3)\n", "never closed"},
      {"v2_no_output", "(vnnlib-version <2.0>)\n(declare-network N (declare-input X float32 [2]))\n",
       "network N declares no output"},
      {"v2_dup_name",
       "(vnnlib-version <2.0>)\n(declare-network N (declare-input N float32 [2]) (declare-output Y float32 "
       "[3]))\n",
       "the name N is declared twice"},
      {"v2_equal_to", "(vnnlib-version <2.0>)\n(declare-network g (equal-to f) (declare-input X float32 [2]))\n",
       "equal-to f: no network f is declared before g"},
      {"v2_rank", std::string(kNet2) + "(assert (<= Y[1] 0.0))\n", "'Y[1]' has 1 indices; Y has shape [1,3]"},
      {"v2_outside", std::string(kNet2) + "(assert (<= Y[0,3] 0.0))\n", "'Y[0,3]' is outside Y, of shape [1,3]"},
      {"v2_bare", std::string(kNet2) + "(assert (<= Y 0.0))\n", "Y has shape [1,3]: name one element"},
      {"v2_undeclared", std::string(kNet2) + "(assert (<= Q[0] 0.0))\n", "undeclared variable Q"},
      {"v2_network_value", std::string(kNet2) + "(assert (<= N 0.0))\n", "N is a network, not a value"},
      {"v2_assert_first", "(vnnlib-version <2.0>)\n(assert (<= 0.0 1.0))\n", "assert before declare-network"},
      {"v2_inputs_mismatch", std::string(kNet2) + "(assert (<= Y[0,0] 0.0))\n",
       "declares 2 inputs but the network has 4", 4, 3},
      {"v2_outputs_mismatch", std::string(kNet2) + "(assert (<= Y[0,0] 0.0))\n",
       "Y has 3 elements but the network has 2 outputs", 2, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string msg = error_of(c.name, c.text, c.inputs, c.outputs);
    EXPECT_NE(msg.find(c.needle), std::string::npos) << "'" << c.needle << "' not in: " << msg;
  }
}

void expect_same_cases(const VnnlibProperty& a, const VnnlibProperty& b) {
  EXPECT_EQ(a.num_inputs, b.num_inputs);
  EXPECT_EQ(a.num_outputs, b.num_outputs);
  ASSERT_EQ(a.cases.size(), b.cases.size());
  for (std::size_t c = 0; c < a.cases.size(); ++c) {
    EXPECT_EQ(a.cases[c].lower, b.cases[c].lower) << "case " << c;
    EXPECT_EQ(a.cases[c].upper, b.cases[c].upper) << "case " << c;
    ASSERT_EQ(a.cases[c].polytopes.size(), b.cases[c].polytopes.size()) << "case " << c;
    for (std::size_t k = 0; k < a.cases[c].polytopes.size(); ++k) {
      EXPECT_EQ(a.cases[c].polytopes[k].rows, b.cases[c].polytopes[k].rows) << "case " << c << " polytope " << k;
      EXPECT_EQ(a.cases[c].polytopes[k].rhs, b.cases[c].polytopes[k].rhs) << "case " << c << " polytope " << k;
    }
  }
}

// A 1.0 property in 2.0 form: its X_i / Y_j declarations become one network
// with input X [1, n] and output Y [1, m], every X_i reads X[0,i].
std::string as_version2(const std::string& v1, std::int64_t inputs, std::int64_t outputs) {
  std::string body;
  std::size_t at = 0;
  while (at < v1.size()) {
    std::size_t end = v1.find('\n', at);
    if (end == std::string::npos) end = v1.size();
    const std::string line = v1.substr(at, end - at);
    at = end + 1;
    if (line.find("declare-const") != std::string::npos) continue;
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const bool var = (line[i] == 'X' || line[i] == 'Y') && i + 2 < line.size() && line[i + 1] == '_' &&
                       std::isdigit(static_cast<unsigned char>(line[i + 2])) &&
                       (i == 0 || line[i - 1] == ' ' || line[i - 1] == '(');
      if (!var) {
        out += line[i];
        continue;
      }
      std::size_t j = i + 2;
      while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
      out += fmt::format("{}[0,{}]", line[i], line.substr(i + 2, j - i - 2));
      i = j - 1;
    }
    body += out + "\n";
  }
  return fmt::format(
      "(vnnlib-version <2.0>)\n(declare-network N\n  (declare-input X float32 [1, {}])\n"
      "  (declare-output Y float32 [1,{}]))\n{}",
      inputs, outputs, body);
}

TEST(Vnnlib, Version2FormsGiveTheSameCasesAsVersion1) {
  const std::vector<std::string> bodies = {
      std::string(kBox) + "(assert (>= Y_0 Y_1))\n",
      std::string(kBox) + "(assert (or (and (>= Y_1 Y_0)) (and (>= Y_2 Y_0) (<= Y_2 3.5))))\n",
      "(assert (or (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1))\n"
      "            (and (>= X_0 2) (<= X_0 3) (>= X_1 0) (<= X_1 1))))\n(assert (or (<= Y_0 0) (>= Y_1 5)))\n",
  };
  for (std::size_t k = 0; k < bodies.size(); ++k) {
    const std::string v1 = std::string(kDecl2x3) + bodies[k];
    const auto a = parse_vnnlib(write_property("conform1_" + std::to_string(k), v1));
    const auto b = parse_vnnlib(write_property("conform2_" + std::to_string(k), as_version2(v1, 2, 3)), 2, 3);
    EXPECT_EQ(a.version, 1);
    EXPECT_EQ(b.version, 2);
    EXPECT_EQ(b.network, "N");
    EXPECT_EQ(b.input.shape, (std::vector<std::int64_t>{1, 2}));
    expect_same_cases(a, b);
  }
}

// Every shared property of a few benchmarks, rewritten in 2.0 form: the same cases.
TEST(Vnnlib, SharedPropertiesInVersion2FormGiveTheSameCases) {
  const std::string root = test::shared_dir() + "/benchmarks";
  if (!file_exists(root + "/acasxu/expected.csv")) GTEST_SKIP() << "no ../shared";
  int compared = 0;
  for (const std::string bench : {"acasxu", "mnist_fc", "oval21", "test"}) {
    const std::string csv = read_file(root + "/" + bench + "/expected.csv");
    std::set<std::string> seen;
    std::size_t at = csv.find('\n') + 1;
    while (at < csv.size() && seen.size() < 12) {
      const std::size_t end = csv.find('\n', at);
      const std::string row = csv.substr(at, end - at);
      at = end == std::string::npos ? csv.size() : end + 1;
      const std::size_t c1 = row.find(','), c2 = row.find(',', c1 + 1);
      if (c1 == std::string::npos || c2 == std::string::npos) continue;
      const std::string vnnlib = row.substr(c1 + 1, c2 - c1 - 1);
      if (!seen.insert(vnnlib).second) continue;
      SCOPED_TRACE(bench + "/" + vnnlib);
      const std::string path = resolve_maybe_gz(root + "/" + bench + "/" + vnnlib);
      const auto a = parse_vnnlib(path);
      const std::string v2 = as_version2(read_file(path), a.num_inputs, a.num_outputs);
      const auto b = parse_vnnlib(write_property("shared_v2", v2), a.num_inputs, a.num_outputs);
      expect_same_cases(a, b);
      ++compared;
    }
  }
  EXPECT_GE(compared, 30);
  std::printf("%d shared properties read in both forms\n", compared);
}

TEST(Vnnlib, LinearTermsNotChainsAndEqualities) {
  const auto p = parse_vnnlib(
      write_property("terms", std::string(kDecl2x3) +
                                  // 2 X_0 in [-2, 2]; X_1 == 0.25 (both bounds); a strict bound is its closure.
                                  "(assert (<= (* 2 X_0) 2))\n(assert (>= (* X_0 2.0) -2))\n(assert (= X_1 0.25))\n"
                                  // not (Y_0 - Y_1 > 1 or Y_2 < 0)  =  Y_0 - Y_1 <= 1 and Y_2 >= 0
                                  "(assert (not (or (> (- Y_0 Y_1) 1) (< Y_2 0))))\n"
                                  // a chain: 0 <= Y_1 <= Y_2 + 1  (Y_1 >= 0 and Y_1 - Y_2 <= 1); (- x) negates
                                  "(assert (<= 0 Y_1 (+ Y_2 1)))\n(assert (>= (- Y_2) -7))\n"));
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_EQ(p.cases[0].lower, (std::vector<double>{-1.0, 0.25}));
  EXPECT_EQ(p.cases[0].upper, (std::vector<double>{1.0, 0.25}));
  ASSERT_EQ(p.cases[0].polytopes.size(), 1u);
  const auto& poly = p.cases[0].polytopes[0];
  EXPECT_EQ(poly.rows, (std::vector<std::vector<double>>{{1, -1, 0}, {0, 0, -1}, {0, -1, 0}, {0, 1, -1}, {0, 0, 1}}));
  EXPECT_EQ(poly.rhs, (std::vector<double>{1, 0, 0, 1, 7}));
  // Exact constant arithmetic is accepted: Y_0 + 0.5 <= 1 is Y_0 <= 0.5, Y_0 / 4 <= 1 is Y_0 <= 4.
  const auto e = parse_vnnlib(write_property(
      "terms_exact", std::string(kDecl2x3) + kBox + "(assert (<= (+ Y_0 0.5) 1))\n(assert (<= (/ Y_1 4) 1))\n"));
  EXPECT_EQ(e.cases[0].polytopes[0].rhs, (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(e.cases[0].polytopes[0].rows, (std::vector<std::vector<double>>{{1, 0, 0}, {0, 0.25, 0}}));
  // != is either side; not (a == b) too; a bound through an inexact quotient is rounded outward.
  const auto q = parse_vnnlib(write_property(
      "terms_ne", std::string(kDecl2x3) + "(assert (<= (* 3 X_0) 1))\n(assert (>= X_0 -1))\n(assert (<= X_1 1))\n"
                                          "(assert (>= X_1 0))\n(assert (not (= Y_0 Y_1)))\n"));
  ASSERT_EQ(q.cases.size(), 1u);
  EXPECT_GE(q.cases[0].upper[0] * 3.0, 1.0);
  EXPECT_LE(q.cases[0].upper[0], 1.0 / 3.0 + 1e-15);
  ASSERT_EQ(q.cases[0].polytopes.size(), 2u);
  EXPECT_EQ(q.cases[0].polytopes[0].rows, (std::vector<std::vector<double>>{{1, -1, 0}}));
  EXPECT_EQ(q.cases[0].polytopes[1].rows, (std::vector<std::vector<double>>{{-1, 1, 0}}));
}

// A disjunct the union already holds is not repeated: the same polytope
// again, or a half-space with the same normal (the larger bound stays).
TEST(Vnnlib, RepeatedDisjunctsJoin) {
  const auto p = parse_vnnlib(write_property(
      "repeated", std::string(kDecl2x3) + kBox +
                      "(assert (or (<= Y_0 1) (and (<= Y_1 0) (<= Y_2 0)) (<= Y_0 3) (<= Y_0 2)\n"
                      "            (and (<= Y_1 0) (<= Y_2 0)) (and (<= Y_1 0) (<= Y_2 1)) (<= (* 2 Y_0) 8)))\n"));
  ASSERT_EQ(p.cases.size(), 1u);
  const auto& polys = p.cases[0].polytopes;
  ASSERT_EQ(polys.size(), 4u);
  EXPECT_EQ(polys[0].rows, (std::vector<std::vector<double>>{{1, 0, 0}}));
  EXPECT_EQ(polys[0].rhs, (std::vector<double>{3}));
  EXPECT_EQ(polys[1].rhs, (std::vector<double>{0, 0}));
  EXPECT_EQ(polys[2].rhs, (std::vector<double>{0, 1}));
  EXPECT_EQ(polys[3].rows, (std::vector<std::vector<double>>{{2, 0, 0}}));  // another normal: kept
}

// The reader keeps its own stack: 20,000 nested forms read as any other.
TEST(Vnnlib, AnyNestingDepth) {
  const int depth = 20000;
  std::string deep_or = std::string(kDecl2x3) + kBox + "(assert ";
  for (int i = 0; i < depth; ++i) deep_or += "(or (<= Y_0 " + std::to_string(i) + ") ";
  deep_or += "(<= Y_1 Y_2)";
  deep_or += std::string(depth, ')') + ")\n";
  const auto p = parse_vnnlib(write_property("deep_or", deep_or));
  ASSERT_EQ(p.cases.size(), 1u);
  // The half-spaces Y_0 <= i join into the largest (add_polytope), then Y_1 <= Y_2.
  ASSERT_EQ(p.cases[0].polytopes.size(), 2u);
  EXPECT_EQ(p.cases[0].polytopes[0].rhs, (std::vector<double>{depth - 1.0}));
  EXPECT_EQ(p.cases[0].polytopes.back().rows, (std::vector<std::vector<double>>{{0, 1, -1}}));
  std::string deep_and = std::string(kDecl2x3) + kBox + "(assert ";
  for (int i = 0; i < depth; ++i) deep_and += i % 2 == 0 ? "(and (not " : "(not (and ";
  deep_and += "(<= Y_1 Y_2)" + std::string(2 * depth, ')') + ")\n";
  const auto q = parse_vnnlib(write_property("deep_and", deep_and));
  ASSERT_EQ(q.cases.size(), 1u);
  ASSERT_EQ(q.cases[0].polytopes.size(), 1u);
  // An even number of nots: the row itself.
  EXPECT_EQ(q.cases[0].polytopes[0].rows, (std::vector<std::vector<double>>{{0, 1, -1}}));
  // Unbalanced at any depth: one line.
  const std::string cut = std::string(kDecl2x3) + kBox + "(assert " + std::string(depth, '(');
  EXPECT_NE(error_of("deep_cut", cut).find("expected an operator after '('"), std::string::npos);
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
