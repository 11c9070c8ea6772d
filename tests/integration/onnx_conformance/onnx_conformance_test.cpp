// The reference semantics (bf_kernels through run_forward) against the ONNX
// conformance data Debian ships (libonnx-testdata 1.12): every node/ model whose
// graph is made of supported operators and every pytorch-converted/ model is
// imported, run on its input_N.pb in the model's float dtype and compared with
// output_N.pb (rtol 1e-4, atol 1e-5).
//
// A model is first imported as it is. The test models feed every operand as a
// graph input, while BoundFlow's canonical IR needs Reshape shapes, Slice starts,
// Clip bounds, Gather indices, ... as constants; when the plain import fails,
// every input but the first float one becomes an initializer holding its test
// value and the model is imported again. A model neither form imports is listed
// as skipped with the importer's message.
//
// Models below opset 8 (the importer's floor) are lifted to opset 8 when every
// one of their operators has the same definition there (its opset-8 schema in
// ONNX's registry dates from the model's opset or earlier): the GlobalAveragePool
// tests, for one, exist only at opset 1.
//
// The test fails if a model that imported does not match, or if some supported
// operator has no passing model at all (nothing is skipped wholesale).
#include <gtest/gtest.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "frontend/onnx/onnx_importer.h"
#include "runtime/forward_executor.h"
#include "support/file_io.h"
#include "support/test_paths.h"

namespace bf {
namespace {

namespace fs = std::filesystem;

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

// Every IR op that is an ONNX operator (Affine and ScaleShift are BoundFlow's own), plus Constant.
std::set<std::string> supported_onnx_ops() {
  std::set<std::string> ops = {"Constant"};
  for (int i = 0; i < kNumOpKinds; ++i) {
    auto op = static_cast<OpKind>(i);
    if (op != OpKind::Affine && op != OpKind::ScaleShift) ops.insert(std::string(op_name(op)));
  }
  return ops;
}

onnx::ModelProto load_model(const std::string& path) {
  onnx::ModelProto m;
  BF_CHECK(m.ParseFromString(read_file(path)), ErrorKind::Parse, "cannot parse {}", path);
  return m;
}

std::set<std::string> ops_of(const onnx::ModelProto& m) {
  std::set<std::string> ops;
  for (const auto& n : m.graph().node()) {
    const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    ops.insert(default_domain ? n.op_type() : n.domain() + "." + n.op_type());
  }
  return ops;
}

std::vector<std::string> data_sets(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& d : fs::directory_iterator(dir)) {
    if (d.is_directory() && d.path().filename().string().rfind("test_data_set_", 0) == 0) out.push_back(d.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Case {
  std::string name;  // "node/test_relu"
  fs::path dir;
  std::set<std::string> ops;
};

std::vector<Case> select_cases(const std::set<std::string>& supported) {
  std::vector<Case> cases;
  for (const char* suite : {"node", "pytorch-converted"}) {
    const fs::path root = fs::path(test::onnx_testdata_dir()) / suite;
    if (!fs::exists(root)) continue;
    for (const auto& d : fs::directory_iterator(root)) {
      const fs::path model = d.path() / "model.onnx";
      if (!fs::exists(model)) continue;
      std::set<std::string> ops = ops_of(load_model(model));
      const bool all_supported =
          !ops.empty() && std::all_of(ops.begin(), ops.end(), [&](const std::string& o) { return supported.count(o); });
      // node/ holds one-operator tests of everything ONNX defines: only ours are run.
      // pytorch-converted/ models are all run (or skipped with the importer's reason).
      if (std::string(suite) == "node" && !all_supported) continue;
      cases.push_back({std::string(suite) + "/" + d.path().filename().string(), d.path(), std::move(ops)});
    }
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

constexpr std::int64_t kLowestImportedOpset = 8;

std::int64_t default_opset(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  }
  return -1;
}

// True when every operator of the model is defined at opset 8 by the same schema
// version as at the model's own opset.
bool same_semantics_at_lowest_opset(const onnx::ModelProto& m) {
  const std::int64_t opset = default_opset(m);
  for (const auto& n : m.graph().node()) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") return false;
    const auto* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), kLowestImportedOpset, "");
    if (schema == nullptr || schema->since_version() > opset) return false;
  }
  return true;
}

// The model to test: the original, or a copy lifted to opset 8 (see the top of the file).
onnx::ModelProto prepare_model(const fs::path& case_dir, bool* lifted) {
  onnx::ModelProto m = load_model(case_dir / "model.onnx");
  *lifted = false;
  const std::int64_t opset = default_opset(m);
  if (opset >= 0 && opset < kLowestImportedOpset && same_semantics_at_lowest_opset(m)) {
    for (auto& o : *m.mutable_opset_import()) {
      if (o.domain().empty() || o.domain() == "ai.onnx") o.set_version(kLowestImportedOpset);
    }
    *lifted = true;
  }
  return m;
}

bool is_float_input(const onnx::ValueInfoProto& v) {
  if (!v.type().has_tensor_type()) return false;
  const auto t = v.type().tensor_type().elem_type();
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE;
}

// Writes a copy of the model whose inputs, except the first float one, are
// initializers holding their values from `data_set`.
std::string freeze_operands(onnx::ModelProto m, const std::string& data_set, const std::string& scratch) {
  auto* g = m.mutable_graph();
  bool kept_live = false;
  for (int i = 0; i < g->input_size(); ++i) {
    const auto& in = g->input(i);
    if (!kept_live && is_float_input(in)) {
      kept_live = true;
      continue;
    }
    const std::string pb = data_set + "/input_" + std::to_string(i) + ".pb";
    onnx::TensorProto t;
    if (!fs::exists(pb) || !in.type().has_tensor_type() || !t.ParseFromString(read_file(pb))) continue;
    t.set_name(in.name());
    *g->add_initializer() = t;
  }
  const std::string path = scratch + "/frozen.onnx";
  write_file(path, m.SerializeAsString());
  return path;
}

// The test value of each graph input, found by the input's name in the ONNX model.
std::vector<Tensor> graph_inputs(const Graph& g, const onnx::ModelProto& m, const std::string& data_set) {
  std::vector<Tensor> inputs;
  for (ValueId v : g.inputs()) {
    const std::string& name = g.value(v).name;
    int index = -1;
    for (int i = 0; i < m.graph().input_size(); ++i) {
      if (m.graph().input(i).name() == name) index = i;
    }
    BF_CHECK(index >= 0, ErrorKind::Invalid, "graph input '{}' is not an input of the ONNX model", name);
    inputs.push_back(load_tensor_proto(data_set + "/input_" + std::to_string(index) + ".pb"));
  }
  return inputs;
}

// The model's float dtype: f64 when any graph input or output is f64.
DType compute_dtype(const Graph& g) {
  for (const auto* ids : {&g.inputs(), &g.outputs()}) {
    for (ValueId v : *ids) {
      if (g.type(v).dtype == DType::F64) return DType::F64;
    }
  }
  return DType::F32;
}

// Empty when every element is within atol + rtol * |expected|; else the first difference.
std::string compare(const Tensor& actual, const Tensor& expected) {
  if (actual.shape() != expected.shape()) {
    return "shape " + shape_str(actual.shape()) + " vs expected " + shape_str(expected.shape());
  }
  const auto a = actual.to_double_vector(), e = expected.to_double_vector();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(e[i])) continue;
    if (!(std::abs(a[i] - e[i]) <= kAtol + kRtol * std::abs(e[i]))) {
      return "element " + std::to_string(i) + ": " + std::to_string(a[i]) + " vs expected " + std::to_string(e[i]);
    }
  }
  return {};
}

enum class Outcome { Passed, Failed, Skipped };

struct Result {
  Outcome outcome = Outcome::Skipped;
  std::string detail;   // the mismatch, or why the model was skipped
  bool frozen = false;  // imported with operands frozen into initializers
  bool lifted = false;  // imported at opset 8 rather than its own
};

Result run_case(const Case& c) {
  const std::string scratch = test::scratch_dir("onnx_conformance/" + c.name);
  Result r;
  const onnx::ModelProto m = prepare_model(c.dir, &r.lifted);
  const std::string model_path = scratch + "/model.onnx";
  write_file(model_path, m.SerializeAsString());
  for (const auto& ds : data_sets(c.dir)) {
    Graph g;
    try {
      g = import_onnx(model_path);
    } catch (const Error&) {
      try {
        g = import_onnx(freeze_operands(m, ds, scratch));
        r.frozen = true;
      } catch (const Error& e) {
        r.detail = e.message();
        return r;
      }
    }
    try {
      ForwardOptions opt;
      opt.compute = compute_dtype(g);
      std::vector<Tensor> outputs = run_forward(g, graph_inputs(g, m, ds), opt);
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        const std::string pb = ds + "/output_" + std::to_string(i) + ".pb";
        std::string diff = compare(outputs[i], load_tensor_proto(pb));
        if (!diff.empty()) {
          r.outcome = Outcome::Failed;
          r.detail = fs::path(ds).filename().string() + " output " + std::to_string(i) + ": " + diff;
          return r;
        }
      }
    } catch (const Error& e) {
      r.outcome = Outcome::Failed;
      r.detail = std::string("run failed: ") + e.what();
      return r;
    }
  }
  r.outcome = Outcome::Passed;
  return r;
}

TEST(OnnxConformance, SupportedOpsReproduceTheTestData) {
  const auto supported = supported_onnx_ops();
  const std::vector<Case> cases = select_cases(supported);
  ASSERT_FALSE(cases.empty()) << "no ONNX test data under " << test::onnx_testdata_dir();
  std::map<std::string, int> passing_per_op;
  int passed = 0, failed = 0, skipped = 0, frozen = 0, lifted = 0;
  for (const auto& c : cases) {
    const Result r = run_case(c);
    switch (r.outcome) {
      case Outcome::Passed:
        ++passed;
        frozen += r.frozen;
        lifted += r.lifted;
        for (const auto& op : c.ops) ++passing_per_op[op];
        break;
      case Outcome::Failed:
        ++failed;
        ADD_FAILURE() << c.name << (r.frozen ? " (operands frozen)" : "") << (r.lifted ? " (lifted to opset 8)" : "")
                      << ": " << r.detail;
        break;
      case Outcome::Skipped:
        ++skipped;
        std::printf("skipped %s: %s\n", c.name.c_str(), r.detail.c_str());
        break;
    }
  }
  std::printf(
      "%zu models: %d ran (%d passed, of which %d with operands frozen into initializers and %d lifted to opset 8; "
      "%d failed), %d skipped\n",
      cases.size(), passed + failed, passed, frozen, lifted, failed, skipped);
  for (const auto& op : supported) {
    std::printf("  %-20s %d passing models\n", op.c_str(), passing_per_op[op]);
    EXPECT_GT(passing_per_op[op], 0) << "no conformance model exercises " << op;
  }
}

}  // namespace
}  // namespace bf
