// The boundflow binary end to end: every subcommand works on the shipped
// example, and every kind of bad input ends with exactly one line on stderr
// naming the file and the problem, a non-zero exit code (never a signal) and
// nothing on stdout.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/file_io.h"
#include "support/run_command.h"
#include "support/test_paths.h"

namespace bf {
namespace {

std::string example() { return test::source_dir() + "/examples/tiny_convnet.onnx"; }
std::string example_input() { return test::source_dir() + "/examples/tiny_convnet.input.json"; }

test::CommandResult boundflow(std::vector<std::string> args) {
  args.insert(args.begin(), test::boundflow_binary());
  return test::run_command(args);
}

// One line on stderr that mentions `needle`, exit 1 or 2, empty stdout.
void expect_one_line_error(const test::CommandResult& r, const std::string& needle) {
  EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << "exit " << r.exit_code << "\n" << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n');
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line:\n" << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "'" << needle << "' not in: " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

std::string bytes_of(const std::string& path) { return read_file(path); }

std::string write(const std::string& name, const std::string& bytes) {
  const std::string path = test::scratch_dir("cli_" + name) + "/" + name;
  write_file(path, bytes);
  return path;
}

// Replaces the last occurrence of `from` by `to` (same length keeps the protobuf valid).
std::string patch_last(std::string bytes, const std::string& from, const std::string& to) {
  EXPECT_EQ(from.size(), to.size());
  const auto pos = bytes.rfind(from);
  EXPECT_NE(pos, std::string::npos);
  bytes.replace(pos, from.size(), to);
  return bytes;
}

TEST(Cli, EverySubcommandRunsOnTheExample) {
  auto dump = boundflow({"dump-ir", example()});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("= Conv("), std::string::npos);
  auto run = boundflow({"run", example(), "--input", example_input()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 3);
  auto plan = boundflow({"plan", example(), "--min-tasks", "3", "--reuse", "size", "--dump", "json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  auto j = nlohmann::json::parse(plan.out);
  EXPECT_EQ(j["task_graph"]["num_tasks"], 3);
  auto again = boundflow({"plan", example(), "--min-tasks", "3", "--reuse", "size", "--dump", "json"});
  EXPECT_EQ(plan.out, again.out) << "plan dumps differ between runs";
  for (const char* executor : {"reference", "compiled"}) {
    auto bounds =
        boundflow({"bounds", example(), "--input", example_input(), "--method", "ibp", "--executor", executor});
    EXPECT_EQ(bounds.exit_code, 0) << bounds.err;
    EXPECT_NE(bounds.out.find("y[2]  lower"), std::string::npos) << bounds.out;
  }
  for (const char* sub : {"dump-ir", "run", "bounds", "plan", "bench"}) {
    auto help = boundflow({sub, "--help"});
    EXPECT_EQ(help.exit_code, 0) << sub;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << sub;
  }
}

TEST(Cli, SameInputSameBytes) {
  const std::string dir = test::scratch_dir("cli_deterministic");
  for (const char* executor : {"compiled", "reference"}) {
    std::string first;
    for (int i = 0; i < 2; ++i) {
      const std::string out = dir + "/bounds_" + executor + std::to_string(i) + ".json";
      auto r = boundflow({"bounds", example(), "--input", example_input(), "--min-tasks", "3", "--reuse", "size",
                          "--executor", executor, "--json", out});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      if (i == 0) {
        first = read_file(out) + r.out;
      } else {
        EXPECT_EQ(read_file(out) + r.out, first) << executor << ": bounds differ between runs";
      }
    }
  }
  auto a = boundflow({"dump-ir", "--normalize", "--print-after-each", example()});
  auto b = boundflow({"dump-ir", "--normalize", "--print-after-each", example()});
  EXPECT_EQ(a.out, b.out);
  auto c = boundflow({"plan", example(), "--compiled", "--dump", "json"});
  auto d = boundflow({"plan", example(), "--compiled", "--dump", "json"});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out, d.out);
}

TEST(Cli, RunReadsTensorProtoInput) {
  const std::string data = test::onnx_testdata_dir() + "/node/test_relu";
  auto r = boundflow({"run", data + "/model.onnx", "--input", data + "/test_data_set_0/input_0.pb"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 60);  // 3 x 4 x 5 values
}

TEST(Cli, MissingFile) {
  expect_one_line_error(boundflow({"dump-ir", "/nonexistent/net.onnx"}), "/nonexistent/net.onnx: file not found");
}

TEST(Cli, EmptyFile) {
  const std::string p = write("empty.onnx", "");
  expect_one_line_error(boundflow({"dump-ir", p}), p);
}

TEST(Cli, TruncatedOnnx) {
  const std::string full = bytes_of(example());
  const std::string p = write("truncated.onnx", full.substr(0, full.size() / 2));
  expect_one_line_error(boundflow({"dump-ir", p}), p);
}

TEST(Cli, NotOnnxAtAll) {
  const std::string p = write("text.onnx", "this is a text file, not a protobuf\n");
  expect_one_line_error(boundflow({"bounds", p, "--input", example_input()}), p);
}

TEST(Cli, GzipThatIsNotGzip) {
  const std::string p = write("fake.onnx.gz", bytes_of(example()));
  expect_one_line_error(boundflow({"dump-ir", p}), "not a gzip file");
}

TEST(Cli, UnknownOperator) {
  const std::string p = write("unknown_op.onnx", patch_last(bytes_of(example()), "Relu", "Relx"));
  auto r = boundflow({"dump-ir", p});
  expect_one_line_error(r, "Relx");
  EXPECT_NE(r.err.find(p), std::string::npos);
  EXPECT_NE(r.err.find("relu2"), std::string::npos) << "the node is named: " << r.err;
}

TEST(Cli, MissingInitializer) {
  // The initializer is serialised after the nodes: renaming its last occurrence
  // leaves the Conv reading a value nothing defines.
  const std::string p = write("missing_init.onnx", patch_last(bytes_of(example()), "conv.bias", "conv.bixs"));
  auto r = boundflow({"dump-ir", p});
  expect_one_line_error(r, "conv.bias");
}

TEST(Cli, ShapeMismatch) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("bad_gemm");
  auto* x = g->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  for (int d : {1, 4}) x->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(3);
  w->add_dims(5);  // transB: needs [*, 4]
  for (int i = 0; i < 15; ++i) w->add_float_data(0.5f);
  auto* n = g->add_node();
  n->set_op_type("Gemm");
  n->set_name("fc");
  n->add_input("x");
  n->add_input("w");
  n->add_output("y");
  auto* a = n->add_attribute();
  a->set_name("transB");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(1);
  g->add_output()->set_name("y");
  const std::string p = write("shape_mismatch.onnx", m.SerializeAsString());
  auto r = boundflow({"dump-ir", p});
  expect_one_line_error(r, "fc");
  EXPECT_NE(r.err.find("Gemm"), std::string::npos) << r.err;
}

TEST(Cli, BadRegions) {
  const std::string bad_json = write("bad.json", "{\"x0\": [1, 2,");
  expect_one_line_error(boundflow({"bounds", example(), "--input", bad_json, "--eps", "0.1"}), bad_json);
  const std::string short_x0 = write("short.json", "[0.5, 0.5]");
  expect_one_line_error(boundflow({"bounds", example(), "--input", short_x0, "--eps", "0.1"}), short_x0);
  // An input variable without a finite bound: JSON has no infinity, and a number
  // beyond double is rejected where it is read.
  std::string lower = "[", upper = "[";
  for (int i = 0; i < 144; ++i) {
    lower += (i ? "," : "") + std::string(i == 7 ? "-1e999" : "0");
    upper += (i ? "," : "") + std::string("1");
  }
  const std::string box = write("unbounded_box.json", "{\"lower\": " + lower + "], \"upper\": " + upper + "]}");
  auto unbounded = boundflow({"bounds", example(), "--box", box});
  expect_one_line_error(unbounded, box);
  EXPECT_NE(unbounded.err.find("overflow"), std::string::npos) << unbounded.err;
  // A box whose lower bound exceeds its upper one.
  const std::string empty_box = write(
      "empty_box.json", "{\"lower\": " + upper + "], \"upper\": " + lower.replace(lower.find("-1e999"), 6, "0") + "]}");
  expect_one_line_error(boundflow({"bounds", example(), "--box", empty_box}), "lower 1 > upper 0");
  expect_one_line_error(boundflow({"bounds", example(), "--input", example_input(), "--eps", "-1"}), "eps");
  expect_one_line_error(boundflow({"bounds", example()}), "--input");
}

TEST(Cli, BadOptionsAreUsageErrors) {
  auto r = boundflow({"bounds", example(), "--input", example_input(), "--memory-plan", "SOMETIMES"});
  expect_one_line_error(r, "SOMETIMES");
  EXPECT_EQ(r.exit_code, 2);
  auto l =
      boundflow({"bounds", example(), "--input", example_input(), "--lowering-passes", "select_kernels,plan_memory"});
  expect_one_line_error(l, "prepare_weights");
}

// Absurd option values: one short line that names the option, says what it
// must be and what was given, and exit 2 (never a signal, never CLI11's raw
// range text with hundreds of digits).
TEST(Cli, AbsurdOptionValuesGiveOneShortReadableLine) {
  const std::vector<std::string> base = {"bounds", example(), "--input", example_input()};
  struct Case {
    std::vector<std::string> extra;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--threads", "100000"}, "--threads: must be a whole number from 0 to 1024 (got 100000)"},
      {{"--threads", "-1"}, "--threads: must be a whole number from 0 to 1024 (got -1)"},
      {{"--threads", "two"}, "--threads: must be a whole number from 0 to 1024 (got two)"},
      {{"--threads", "99999999999999999999999"}, "--threads: must be a whole number from 0 to 1024"},
      {{"--eps", "inf"}, "--eps: must be a finite number >= 0 (got inf)"},
      {{"--eps", "nan"}, "--eps: must be a finite number >= 0 (got nan)"},
      {{"--eps", "1e999"}, "--eps: must be a finite number >= 0 (got 1e999)"},
      {{"--eps", "-0.5"}, "--eps: must be a finite number >= 0 (got -0.5)"},
      {{"--eps", "0.1x"}, "--eps: must be a finite number >= 0 (got 0.1x)"},
      {{"--clamp", "-inf", "1"}, "--clamp: must be a finite number (got -inf)"},
      {{"--min-tasks", "0"}, "--min-tasks: must be a whole number >= 1 (got 0)"},
      {{"--max-ops-per-task", "-3"}, "--max-ops-per-task: must be a whole number >= 0 (got -3)"},
      {{"--method", "magic"}, "--method: must be one of ibp, crown, crown-ibp, alpha-crown (got magic)"},
      {{"--method", "alpha-crown", "--lr", "-1"}, "--lr: must be a finite number >= 1e-12 (got -1)"},
      {{"--method", "alpha-crown", "--lr-decay", "2"}, "--lr-decay: must be a number in (0, 1] (got 2)"},
      {{"--method", "alpha-crown", "--iterations", "1000000"}, "--iterations: must be a whole number from 0 to 100000"},
      {{"--method", "crown", "--iterations", "5"}, "--iterations applies to --method alpha-crown"},
      {{"--planner", "v9"}, "--planner: must be one of v0, v2 (got v9)"},
      {{"--dtype", "f16"}, "--dtype: must be one of f32, f64 (got f16)"},
      {{"--eps", std::string(500, '9')}, "--eps: must be a finite number >= 0 (got 9999"},
      {{"--max-memory", "12Q"}, "--max-memory: must be a byte count such as 4G, 512M or 100000 (got 12Q)"},
      {{"--max-memory", "-5"}, "--max-memory: must be a byte count such as 4G, 512M or 100000 (got -5)"},
      {{"--max-memory", "99999999999999999999T"}, "--max-memory: must be a byte count such as 4G, 512M or 100000"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = base;
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = boundflow(args);
    SCOPED_TRACE(c.message);
    expect_one_line_error(r, c.message);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_LT(r.err.size(), 160u) << "not short: " << r.err;
  }
  // The same checks on the other subcommands' options.
  expect_one_line_error(boundflow({"plan", example(), "--batch", "0"}), "--batch: must be a whole number >= 1 (got 0)");
  expect_one_line_error(boundflow({"bench", "static-plan", example(), "--threads", "100000"}),
                        "--threads: must be a whole number from 0 to 1024 (got 100000)");
  expect_one_line_error(boundflow({"bench", "static-plan", example(), "--eps", "inf"}),
                        "--eps: must be a finite number >= 0 (got inf)");
  expect_one_line_error(boundflow({"bench", "golden", "--iters", "0"}), "--iters: must be a whole number >= 1 (got 0)");
  expect_one_line_error(boundflow({"run", example(), "--input", example_input(), "--batch", "-2"}),
                        "--batch: must be a whole number >= 0 (got -2)");
  // The largest accepted thread count runs (the crash was above it).
  auto ok = boundflow({"bounds", example(), "--input", example_input(), "--threads", "1024"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// CROWN through the CLI: a VNN-LIB property's rows bounded, the options that
// only make sense with it refused elsewhere, and a budget too small named.
TEST(Cli, CrownWithVnnlibAndItsOptionErrors) {
  // The example has 144 inputs (1x1x12x12) and 3 outputs: a box and two margin rows.
  std::string text;
  for (int i = 0; i < 144; ++i) text += "(declare-const X_" + std::to_string(i) + " Real)\n";
  for (int j = 0; j < 3; ++j) text += "(declare-const Y_" + std::to_string(j) + " Real)\n";
  for (int i = 0; i < 144; ++i) {
    text += "(assert (>= X_" + std::to_string(i) + " 0.45))\n(assert (<= X_" + std::to_string(i) + " 0.55))\n";
  }
  text += "(assert (or (and (>= Y_0 Y_2)) (and (>= Y_1 Y_2))))\n";
  const std::string prop = write("example.vnnlib", text);
  auto ok = boundflow({"bounds", example(), "--vnnlib", prop, "--method", "crown"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("case 0 polytope 0: -y0 + y2 <= 0  lower"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("case 0 polytope 1: -y1 + y2 <= 0  lower"), std::string::npos) << ok.out;

  const std::vector<std::string> base = {"bounds", example(), "--input", example_input()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return boundflow(args);
  };
  expect_one_line_error(with({"--method", "ibp", "--dense-intermediates"}),
                        "--dense-intermediates applies to --method crown");
  auto small = with({"--method", "crown", "--max-memory", "1K"});
  expect_one_line_error(small, "--max-memory 1K is too small");
  EXPECT_NE(small.err.find("needs at least"), std::string::npos) << small.err;
  // The size it names is enough.
  const auto at = small.err.find("needs at least ") + 15;
  const std::string needed = small.err.substr(at, small.err.find(' ', at) - at);
  auto enough = with({"--method", "crown", "--max-memory", needed});
  EXPECT_EQ(enough.exit_code, 0) << "--max-memory " << needed << ": " << enough.err;
  expect_one_line_error(boundflow({"bounds", example(), "--vnnlib", "/nonexistent/p.vnnlib"}),
                        "/nonexistent/p.vnnlib: file not found");
  const std::string wrong = write("wrong.vnnlib", "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n");
  expect_one_line_error(boundflow({"bounds", example(), "--vnnlib", wrong}),
                        "declares 1 inputs but the network has 144");
  // Same input, same bytes: a CROWN --json result twice.
  const std::string dir = test::scratch_dir("cli_crown_json");
  auto a = with({"--method", "crown", "--json", dir + "/a.json"});
  auto b = with({"--method", "crown", "--json", dir + "/b.json", "--max-memory", "200K"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto ja = nlohmann::json::parse(bytes_of(dir + "/a.json")),
             jb = nlohmann::json::parse(bytes_of(dir + "/b.json"));
  EXPECT_EQ(ja["lower"], jb["lower"]) << "a memory cap changed the bounds";
  EXPECT_EQ(ja["upper"], jb["upper"]) << "a memory cap changed the bounds";
}

std::string acas(const char* which) { return test::source_dir() + "/examples/acasxu_" + which + ".onnx"; }
std::string acas_prop() { return test::source_dir() + "/examples/acasxu_prop3.vnnlib"; }

// verify on the shipped examples: unsat, and sat with a counterexample whose
// X values lie in the property's box; the result file says the same.
TEST(Cli, VerifyTheExamples) {
  const std::string dir = test::scratch_dir("cli_verify");
  auto unsat = boundflow({"verify", acas("unsat"), acas_prop(), "--quiet", "--result", dir + "/unsat.txt"});
  ASSERT_EQ(unsat.exit_code, 0) << unsat.err;
  EXPECT_EQ(unsat.out, "unsat\n");
  EXPECT_EQ(bytes_of(dir + "/unsat.txt"), "unsat\n");
  auto sat = boundflow({"verify", acas("sat"), acas_prop(), "--quiet", "--result", dir + "/sat.txt"});
  ASSERT_EQ(sat.exit_code, 0) << sat.err;
  EXPECT_EQ(sat.out.rfind("sat\n((X_0 ", 0), 0u) << sat.out;
  EXPECT_NE(sat.out.find("(Y_4 "), std::string::npos) << sat.out;
  EXPECT_EQ(bytes_of(dir + "/sat.txt"), sat.out);
  // The summary line on stderr names the verdict.
  EXPECT_NE(sat.err.find("boundflow verify: sat in"), std::string::npos) << sat.err;
  // Same input, same answer and counterexample (seeded attacks).
  auto again = boundflow({"verify", acas("sat"), acas_prop(), "--quiet"});
  EXPECT_EQ(again.out, sat.out);
  // ReLU split forced on the small inputs: the same verdicts.
  auto relu_unsat = boundflow({"verify", acas("unsat"), acas_prop(), "--quiet", "--bab", "relu"});
  ASSERT_EQ(relu_unsat.exit_code, 0) << relu_unsat.err;
  EXPECT_EQ(relu_unsat.out, "unsat\n");
  auto relu_sat = boundflow({"verify", acas("sat"), acas_prop(), "--quiet", "--bab", "relu"});
  ASSERT_EQ(relu_sat.exit_code, 0) << relu_sat.err;
  EXPECT_EQ(relu_sat.out.rfind("sat\n((X_0 ", 0), 0u) << relu_sat.out;
}

// VNN-LIB 2.0: the same verdicts as the 1.0 form, the counterexample in 2.0's
// form (each declared tensor's header, then its values one per line); a
// property we do not decide is `unknown` in the result file, with one line
// naming the file and line.
TEST(Cli, VerifyVnnlib2Properties) {
  const std::string dir = test::scratch_dir("cli_verify_v2");
  const std::string prop = test::source_dir() + "/examples/acasxu_prop3_v2.vnnlib";
  auto unsat = boundflow({"verify", acas("unsat"), prop, "--quiet"});
  ASSERT_EQ(unsat.exit_code, 0) << unsat.err;
  EXPECT_EQ(unsat.out, "unsat\n");
  auto sat = boundflow({"verify", acas("sat"), prop, "--quiet", "--result", dir + "/sat.txt"});
  ASSERT_EQ(sat.exit_code, 0) << sat.err;
  EXPECT_EQ(sat.out.rfind("sat\nX float32 [1,5]\n", 0), 0u) << sat.out;
  EXPECT_NE(sat.out.find("\nY float32 [1,5]\n"), std::string::npos) << sat.out;
  EXPECT_EQ(bytes_of(dir + "/sat.txt"), sat.out);
  std::string text = bytes_of(prop);
  text += "(assert (<= (* Y[0,0] Y[0,1]) 0.0))\n";
  const std::string nonlinear = write("nonlinear_v2.vnnlib", text);
  const std::int64_t line = std::count(text.begin(), text.end(), '\n');
  auto r = boundflow({"verify", acas("sat"), nonlinear, "--quiet", "--result", dir + "/nl.txt"});
  expect_one_line_error(r, fmt::format("nonlinear_v2.vnnlib:{}: a product of two variables", line));
  EXPECT_EQ(bytes_of(dir + "/nl.txt"), "unknown\n");
  // Property 3 with its output constraints under a 20,000-deep `or` (it crashed the recursive reader).
  std::string deep = bytes_of(acas_prop());
  deep += "(assert ";
  for (int i = 0; i < 20000; ++i) deep += "(or (<= Y_0 -1000) ";
  deep += "(<= Y_0 Y_1)" + std::string(20000, ')') + ")\n";
  auto d = boundflow({"verify", acas("unsat"), write("deep_or.vnnlib", deep), "--quiet", "--timeout", "60"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(d.out == "unsat\n" || d.out == "timeout\n" || d.out == "unknown\n") << d.out;
}

// Bad input to verify: one line, non-zero exit, and `error` in the result file.
TEST(Cli, VerifyBadInputsAreOneLineAndStillWriteAResult) {
  const std::string dir = test::scratch_dir("cli_verify_bad");
  const std::string result = dir + "/result.txt";
  auto missing = boundflow({"verify", acas("sat"), dir + "/none.vnnlib", "--result", result});
  expect_one_line_error(missing, "none.vnnlib: file not found");
  EXPECT_EQ(bytes_of(result).rfind("error", 0), 0u);
  const std::string unbounded = write("unbounded.vnnlib",
                                      "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const X_2 Real)\n"
                                      "(declare-const X_3 Real)\n(declare-const X_4 Real)\n(declare-const Y_0 Real)\n"
                                      "(assert (>= X_0 0))\n(assert (<= Y_0 0))\n");
  expect_one_line_error(boundflow({"verify", acas("sat"), unbounded, "--result", result}), "unbounded.vnnlib");
  EXPECT_EQ(bytes_of(result).rfind("error", 0), 0u);
  const std::string broken = write("broken.vnnlib", "(declare-const X_0 Real)\n(assert (<= X_0 1)\n");
  expect_one_line_error(boundflow({"verify", acas("sat"), broken}), "broken.vnnlib");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--timeout", "-1"}), "--timeout");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--method", "magic"}), "--method");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--max-memory", "lots"}), "--max-memory");
  expect_one_line_error(boundflow({"verify", example(), acas_prop()}), "declares 5 inputs but the network has 144");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--bab", "magic"}), "--bab");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--branching", "best"}), "--branching");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--domain-store", "lots"}), "--domain-store");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--relu-iterations", "-1"}),
                        "--relu-iterations");
  expect_one_line_error(boundflow({"verify", acas("sat"), acas_prop(), "--relu-batch", "0"}), "--relu-batch");
}

// run-suite on a csv of the two examples (paths relative to the csv): rows, summary.
TEST(Cli, RunSuiteOnTheExamples) {
  const std::string dir = test::scratch_dir("cli_run_suite");
  const std::string examples = std::filesystem::relative(test::source_dir() + "/examples", dir).string() + "/";
  write_file(dir + "/expected.csv", "onnx,vnnlib,timeout,expected\n" + examples + "acasxu_unsat.onnx," + examples +
                                        "acasxu_prop3.vnnlib,60,unsat\n" + examples + "acasxu_sat.onnx," + examples +
                                        "acasxu_prop3.vnnlib,60,sat\n");
  auto r = boundflow({"run-suite", dir, "--jobs", "2", "--results", dir + "/results.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("correct 2, wrong 0, unknown/timeout 0 (of 2"), std::string::npos) << r.out;
  const std::string rows = bytes_of(dir + "/results.csv");
  EXPECT_NE(
      rows.find("cli_run_suite," + examples + "acasxu_unsat.onnx," + examples + "acasxu_prop3.vnnlib,0.000,unsat,"),
      std::string::npos)
      << rows;
  EXPECT_NE(rows.find(",unsat,"), std::string::npos) << rows;
  EXPECT_NE(rows.find(",sat,"), std::string::npos) << rows;
  expect_one_line_error(boundflow({"run-suite", dir + "/nothing"}), "nothing");
}

// The VNN-COMP scripts: a result file always, exit 0 for a run, 1 for a wrong call.
TEST(Cli, VnncompRunInstance) {
  const std::string dir = test::scratch_dir("cli_vnncomp");
  const std::string script = test::source_dir() + "/vnncomp/run_instance.sh";
  setenv("BOUNDFLOW_BIN", test::boundflow_binary().c_str(), 1);
  auto ok = test::run_command({"/bin/bash", script, "v1", "test", acas("sat"), acas_prop(), dir + "/r.txt", "30"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(bytes_of(dir + "/r.txt").rfind("sat\n((X_0 ", 0), 0u);
  auto bad =
      test::run_command({"/bin/bash", script, "v1", "test", dir + "/none.onnx", acas_prop(), dir + "/e.txt", "30"});
  EXPECT_EQ(bad.exit_code, 0) << bad.err;
  EXPECT_EQ(bytes_of(dir + "/e.txt").rfind("error", 0), 0u);
  auto version = test::run_command({"/bin/bash", script, "v2", "test", acas("sat"), acas_prop(), dir + "/v.txt", "30"});
  EXPECT_EQ(version.exit_code, 1);
}

}  // namespace
}  // namespace bf
