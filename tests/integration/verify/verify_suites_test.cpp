// Verdicts on VNN-COMP benchmarks, through the binary as a harness runs it:
// `run-suite` (one `verify` process per instance, each with its timeout) on
// the whole `test` and `acasxu` benchmarks must answer every instance right,
// and every sat instance of `mnist_fc` must get a counterexample. The
// counterexamples `verify --result` writes are checked here again, by the
// reference forward pass in f64 against the parsed property.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "frontend/onnx/onnx_importer.h"
#include "frontend/vnnlib/vnnlib.h"
#include "runtime/forward_executor.h"
#include "support/file_io.h"
#include "support/run_command.h"
#include "support/test_paths.h"
#include "transform/normalize.h"
#include "verify/counterexample.h"
#include "verify/relu_network.h"

namespace bf {
namespace {

namespace fs = std::filesystem;

std::string benchmark(const std::string& name) { return test::shared_dir() + "/benchmarks/" + name; }

struct SuiteSummary {
  long correct = -1, wrong = -1, open = -1, known = -1;
  std::string text;
};

SuiteSummary run_suite(const std::vector<std::string>& extra, int timeout_seconds) {
  std::vector<std::string> args = {test::boundflow_binary(), "run-suite"};
  args.insert(args.end(), extra.begin(), extra.end());
  const test::CommandResult r = test::run_command(args, timeout_seconds);
  SuiteSummary s;
  s.text = r.out + r.err;
  EXPECT_EQ(r.exit_code, 0) << s.text;
  std::smatch m;
  const std::regex line(R"(correct (\d+), wrong (\d+), unknown/timeout (\d+) \(of (\d+) )");
  if (std::regex_search(r.out, m, line)) {
    s.correct = std::stol(m[1]);
    s.wrong = std::stol(m[2]);
    s.open = std::stol(m[3]);
    s.known = std::stol(m[4]);
  }
  return s;
}

// Result rows: category,onnx,vnnlib,prepare_s,result,run_s.
std::vector<std::vector<std::string>> read_rows(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(csv));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    rows.push_back(f);
  }
  return rows;
}

TEST(VerifySuites, TestBenchmarkAllCorrect) {
  const std::string results = test::scratch_dir("verify_test_suite") + "/results.csv";
  const SuiteSummary s = run_suite({benchmark("test"), "--jobs", "2", "--results", results}, 600);
  EXPECT_EQ(s.known, 5) << s.text;
  EXPECT_EQ(s.correct, 5) << s.text;
  EXPECT_EQ(s.wrong, 0) << s.text;
  const auto rows = read_rows(results);
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& r : rows) {
    ASSERT_EQ(r.size(), 6u);
    EXPECT_EQ(r[0], "test");
    EXPECT_TRUE(r[4] == "sat" || r[4] == "unsat") << r[1] << " " << r[2] << ": " << r[4];
  }
}

// Acceptance of the verification issue: every ACAS Xu instance right within its timeout.
TEST(VerifySuites, AcasXuAllCorrect) {
  const SuiteSummary s = run_suite({benchmark("acasxu"), "--jobs", "2"}, 3000);
  EXPECT_GT(s.known, 0) << s.text;
  EXPECT_EQ(s.correct, s.known) << s.text;
  EXPECT_EQ(s.wrong, 0) << s.text;
}

// The rows of mnist_fc's expected.csv that `keep` accepts, with absolute paths, in a csv of their own.
template <typename Keep>
std::string mnist_csv(const std::string& name, Keep keep, int* count) {
  const std::string dir = benchmark("mnist_fc");
  std::istringstream in(read_file(dir + "/expected.csv"));
  const std::string csv = test::scratch_dir(name) + "/expected.csv";
  std::ofstream out(csv);
  std::string line;
  *count = 0;
  while (std::getline(in, line)) {
    if (line.rfind("onnx,", 0) == 0) {
      out << line << "\n";
    } else if (keep(line)) {
      out << dir << "/" << line.substr(0, line.find(',') + 1) << dir << "/" << line.substr(line.find(',') + 1) << "\n";
      ++*count;
    }
  }
  return csv;
}

std::string mnist_sat_csv(int* count) {
  return mnist_csv(
      "verify_mnist_sat",
      [](const std::string& line) { return line.size() > 4 && line.compare(line.size() - 4, 4, ",sat") == 0; }, count);
}

// Acceptance: every sat instance of mnist_fc found with a valid counterexample
// within its timeout (its attacks, not input split: 784 inputs).
TEST(VerifySuites, MnistFcEverySatInstanceFound) {
  int count = 0;
  const std::string csv = mnist_sat_csv(&count);
  ASSERT_GT(count, 0);
  const SuiteSummary s = run_suite({csv, "--jobs", "2"}, 3000);
  EXPECT_EQ(s.known, count) << s.text;
  EXPECT_EQ(s.correct, count) << s.text;
  EXPECT_EQ(s.wrong, 0) << s.text;
}

// ReLU-split branch and bound (beta-CROWN) proves the unsat instances of
// mnist-net_256x2 that alpha-CROWN over the whole box leaves open (measured:
// 0.1-0.4 s each), within a quarter of their timeouts, by relu split.
TEST(VerifySuites, ReluSplitProvesMnistInstancesAlphaCrownLeavesOpen) {
  const std::vector<std::string> open = {"prop_6_0.03",  "prop_8_0.03",  "prop_9_0.05",
                                         "prop_10_0.05", "prop_11_0.05", "prop_14_0.05"};
  int count = 0;
  const std::string csv = mnist_csv(
      "verify_mnist_relu",
      [&](const std::string& line) {
        if (line.find("256x2") == std::string::npos) return false;
        for (const auto& p : open) {
          if (line.find("/" + p + ".vnnlib") != std::string::npos) return true;
        }
        return false;
      },
      &count);
  ASSERT_EQ(count, 6);
  const SuiteSummary s = run_suite({csv, "--jobs", "2", "--timeout-scale", "0.25"}, 900);
  EXPECT_EQ(s.known, count) << s.text;
  EXPECT_EQ(s.correct, count) << s.text;
  EXPECT_EQ(s.wrong, 0) << s.text;
  // One of them through the binary: decided by relu split, not by the whole-box bounds.
  const auto r =
      test::run_command({test::boundflow_binary(), "verify", benchmark("mnist_fc") + "/onnx/mnist-net_256x2.onnx.gz",
                         benchmark("mnist_fc") + "/vnnlib/prop_9_0.05.vnnlib.gz", "--timeout", "60", "--quiet"},
                        120);
  EXPECT_EQ(r.out.rfind("unsat", 0), 0u) << r.out << r.err;
  EXPECT_NE(r.err.find("by relu split"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("store peak"), std::string::npos) << r.err;
}

// The dense form ReLU split works on computes what the network computes, on
// real networks (a conv net among them), at random points of a box.
TEST(VerifySuites, DenseReluFormMatchesTheNetworks) {
  const char* nets[] = {"mnist_fc/onnx/mnist-net_256x6.onnx.gz", "oval21/onnx/cifar_base_kw.onnx.gz",
                        "verivital/Convnet_avgpool.onnx.gz"};
  for (const char* name : nets) {
    const std::string path = benchmark(name);
    auto g = std::make_shared<Graph>(import_onnx(path));
    normalize(*g);
    const std::int64_t n_in = g->type(g->inputs()[0]).numel(), n_out = g->type(g->outputs()[0]).numel();
    CaseProblem p;
    p.lower.assign(static_cast<std::size_t>(n_in), 0.0);
    p.upper.assign(static_cast<std::size_t>(n_in), 1.0);
    p.num_outputs = n_out;
    for (std::int64_t j = 0; j < n_out; ++j) {
      std::vector<double> row(static_cast<std::size_t>(n_out), 0.0);
      row[static_cast<std::size_t>(j)] = 1.0;
      p.rows.push_back(row);
      p.rhs.push_back(0.0);
      p.polytope_start.push_back(j);
    }
    p.polytope_start.push_back(n_out);
    const ReluNetwork net = extract_relu_network(*g, p);
    EXPECT_GE(net.relu_layers(), 1) << name;
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int t = 0; t < 5; ++t) {
      std::vector<double> x(static_cast<std::size_t>(n_in));
      for (auto& v : x) v = u(rng);
      ForwardOptions fo;
      fo.compute = DType::F64;
      const auto y =
          run_forward(*g, {Tensor::from_vector<double>(g->type(g->inputs()[0]).shape, x)}, fo)[0].to_double_vector();
      const auto d = dense_rows_at(net, x.data());
      ASSERT_EQ(d.size(), y.size()) << name;
      for (std::size_t j = 0; j < y.size(); ++j) EXPECT_NEAR(d[j], y[j], 1e-4 * (1.0 + std::fabs(y[j]))) << name;
    }
  }
}

// The counterexample file of a sat verdict: inside the box, and the
// polytope holds at the reference forward pass's f64 output.
TEST(VerifySuites, WrittenCounterexamplesHoldInF64) {
  const struct {
    const char* bench;
    const char* onnx;
    const char* vnnlib;
  } cases[] = {{"mnist_fc", "onnx/mnist-net_256x6.onnx.gz", "vnnlib/prop_1_0.05.vnnlib.gz"},
               {"mnist_fc", "onnx/mnist-net_256x2.onnx.gz", "vnnlib/prop_2_0.03.vnnlib.gz"},
               {"test", "test_sat.onnx", "test_prop.vnnlib"}};
  for (const auto& c : cases) {
    const std::string onnx = benchmark(c.bench) + "/" + c.onnx, vnnlib = benchmark(c.bench) + "/" + c.vnnlib;
    const std::string result = test::scratch_dir("verify_cex") + "/result.txt";
    const auto r = test::run_command(
        {test::boundflow_binary(), "verify", onnx, vnnlib, "--timeout", "60", "--quiet", "--result", result}, 120);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string text = read_file(result);
    ASSERT_EQ(text.rfind("sat\n", 0), 0u) << c.onnx << " " << c.vnnlib << ": " << text.substr(0, 40);
    const Counterexample cex = parse_counterexample(text);
    const Graph g = import_onnx(onnx);
    const VnnlibProperty p = parse_vnnlib(vnnlib, g.type(g.inputs()[0]).numel(), g.type(g.outputs()[0]).numel());
    ForwardOptions fo;
    fo.compute = DType::F64;
    const auto y =
        run_forward(g, {Tensor::from_vector<double>(g.type(g.inputs()[0]).shape, cex.x)}, fo)[0].to_double_vector();
    bool holds = false;
    for (const VnnlibCase& k : p.cases) {
      bool inside = true;
      for (std::size_t i = 0; i < cex.x.size(); ++i)
        inside = inside && k.lower[i] <= cex.x[i] && cex.x[i] <= k.upper[i];
      if (!inside) continue;
      for (const OutputPolytope& poly : k.polytopes) {
        bool all = true;
        for (std::size_t row = 0; row < poly.rows.size(); ++row) {
          double v = 0.0;
          for (std::size_t j = 0; j < y.size(); ++j) v += poly.rows[row][j] * y[j];
          all = all && v <= poly.rhs[row];
        }
        holds = holds || all;
      }
    }
    EXPECT_TRUE(holds) << c.onnx << " " << c.vnnlib << ": the written counterexample does not violate the property";
    for (std::size_t j = 0; j < y.size(); ++j) EXPECT_NEAR(cex.y[j], y[j], 1e-9 * (1 + std::fabs(y[j])));
  }
}

}  // namespace
}  // namespace bf
