#include "transform/pass_manager.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "ir/printer.h"
#include "transform/normalize.h"

namespace bf {
namespace {

// x[1,4] -> Relu -> Neg -> output
Graph two_node_graph() {
  Graph g;
  g.name = "pm";
  ValueId x = g.add_input("x", {DType::F32, {1, 4}});
  ValueId h = g.add_inferred_node(OpKind::Relu, "relu", {}, {x}, {"h"})[0];
  ValueId y = g.add_inferred_node(OpKind::Neg, "neg", {}, {h}, {"y"})[0];
  g.add_output(y);
  return g;
}

// A valid rewrite: renames the first node (visible in dumps), reports a remark.
class RenameFirstNode final : public Pass {
 public:
  std::string name() const override { return "rename_first_node"; }
  bool run(Graph& g) override {
    g.nodes()[0].name += "_renamed";
    remark("renamed one node");
    return true;
  }
};

// A pass that changes nothing.
class DoNothing final : public Pass {
 public:
  std::string name() const override { return "do_nothing"; }
  bool run(Graph&) override { return false; }
};

// Deliberately broken: records a wrong type for the Relu's result, which the
// verifier must catch after this pass (the pass itself reports success).
class BreakTypes final : public Pass {
 public:
  std::string name() const override { return "break_types"; }
  bool run(Graph& g) override {
    g.value(g.nodes()[0].outputs[0]).type.shape = {1, 5};
    return true;
  }
};

// Deliberately broken: a node reads a value defined after it.
class BreakOrder final : public Pass {
 public:
  std::string name() const override { return "break_order"; }
  bool run(Graph& g) override {
    std::swap(g.nodes()[0], g.nodes()[1]);
    return true;
  }
};

class ThrowsBfError final : public Pass {
 public:
  std::string name() const override { return "throws_bf_error"; }
  bool run(Graph& g) override {
    Error e(ErrorKind::Unsupported, "cannot handle this");
    e.with_node("neg", "Neg");
    throw e;
  }
};

class ThrowsStdError final : public Pass {
 public:
  std::string name() const override { return "throws_std_error"; }
  bool run(Graph&) override { throw std::out_of_range("index 9"); }
};

TEST(PassManager, VerifierCatchesBrokenTypesAndNamesThePass) {
  Graph g = two_node_graph();
  PassManager pm;
  pm.add(std::make_unique<DoNothing>()).add(std::make_unique<BreakTypes>());
  try {
    pm.run(g);
    FAIL() << "a graph with a wrong recorded type passed verification";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Shape);
    EXPECT_EQ(e.node(), "relu");
    std::string what = e.what();
    EXPECT_NE(what.find("pass 'break_types' produced an invalid graph"), std::string::npos) << what;
    EXPECT_NE(what.find("recorded as f32[1,5]"), std::string::npos) << what;
  }
}

TEST(PassManager, VerifierCatchesBrokenOrder) {
  Graph g = two_node_graph();
  PassManager pm;
  pm.add(std::make_unique<BreakOrder>());
  try {
    pm.run(g);
    FAIL() << "a graph out of topological order passed verification";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("pass 'break_order'"), std::string::npos) << what;
    EXPECT_NE(what.find("used before it is defined"), std::string::npos) << what;
  }
}

TEST(PassManager, VerifyEachOffOnlyMattersInReleaseBuilds) {
  Graph g = two_node_graph();
  PassManagerOptions options;
  options.verify_each = false;
  PassManager pm(options);
  pm.add(std::make_unique<BreakTypes>());
  if (PassManager::always_verifies()) {
    EXPECT_THROW(pm.run(g), Error);
  } else {
    EXPECT_NO_THROW(pm.run(g));
  }
}

TEST(PassManager, InvalidInputIsReportedBeforeAnyPass) {
  Graph g = two_node_graph();
  g.value(g.outputs()[0]).type.shape = {2, 4};
  PassManager pm;
  pm.add(std::make_unique<DoNothing>());
  try {
    pm.run(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid before the first pass"), std::string::npos) << e.what();
  }
}

TEST(PassManager, WrapsErrorsWithPassNameKeepingKindAndNode) {
  Graph g = two_node_graph();
  PassManager pm;
  pm.add(std::make_unique<ThrowsBfError>());
  try {
    pm.run(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_EQ(e.node(), "neg");
    EXPECT_EQ(e.op(), "Neg");
    EXPECT_EQ(std::string(e.what()), "node 'neg' (Neg): pass 'throws_bf_error' failed: cannot handle this");
  }
}

TEST(PassManager, OtherExceptionsBecomeInternalErrors) {
  Graph g = two_node_graph();
  PassManager pm;
  pm.add(std::make_unique<ThrowsStdError>());
  try {
    pm.run(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(e.what()).find("pass 'throws_std_error' failed: index 9"), std::string::npos) << e.what();
  }
}

TEST(PassManager, RecordsEveryPassInOrder) {
  Graph g = two_node_graph();
  PassManager pm;
  pm.add(std::make_unique<DoNothing>()).add(std::make_unique<RenameFirstNode>());
  PassReport report = pm.run(g);
  ASSERT_EQ(report.passes.size(), 2u);
  EXPECT_EQ(report.passes[0].name, "do_nothing");
  EXPECT_FALSE(report.passes[0].changed);
  EXPECT_EQ(report.passes[1].name, "rename_first_node");
  EXPECT_TRUE(report.passes[1].changed);
  EXPECT_EQ(report.passes[1].remarks, std::vector<std::string>{"renamed one node"});
  EXPECT_GE(report.passes[1].wall_ms, 0.0);
  EXPECT_TRUE(report.changed());
  std::string summary = report.summary();
  EXPECT_NE(summary.find("do_nothing: unchanged"), std::string::npos) << summary;
  EXPECT_NE(summary.find("rename_first_node: changed"), std::string::npos) << summary;
  EXPECT_NE(summary.find("  renamed one node\n"), std::string::npos) << summary;
  // Without capture_dumps no dump is kept.
  EXPECT_TRUE(report.dump_before.empty());
  EXPECT_TRUE(report.passes[1].dump_after.empty());
}

TEST(PassManager, CapturesDumpsAfterEachPass) {
  Graph g = two_node_graph();
  const std::string original = print_graph(g);
  PassManagerOptions options;
  options.capture_dumps = true;
  PassManager pm(options);
  pm.add(std::make_unique<DoNothing>()).add(std::make_unique<RenameFirstNode>()).add(std::make_unique<DoNothing>());
  PassReport report = pm.run(g);
  EXPECT_EQ(report.dump_before, original);
  EXPECT_EQ(report.passes[0].dump_after, original);
  EXPECT_NE(report.passes[1].dump_after, original);
  EXPECT_NE(report.passes[1].dump_after.find("// relu_renamed"), std::string::npos) << report.passes[1].dump_after;
  EXPECT_EQ(report.passes[2].dump_after, report.passes[1].dump_after);
  EXPECT_EQ(report.passes[2].dump_after, print_graph(g));
}

TEST(PassManager, SkipsPassesByName) {
  Graph g = two_node_graph();
  const std::string original = print_graph(g);
  PassManagerOptions options;
  options.skip = {"rename_first_node"};
  PassManager pm(options);
  pm.add(std::make_unique<RenameFirstNode>()).add(std::make_unique<DoNothing>());
  PassReport report = pm.run(g);
  EXPECT_EQ(print_graph(g), original);
  ASSERT_EQ(report.passes.size(), 2u);
  EXPECT_TRUE(report.passes[0].skipped);
  EXPECT_FALSE(report.passes[0].changed);
  EXPECT_FALSE(report.passes[1].skipped);
  EXPECT_NE(report.summary().find("rename_first_node: skipped"), std::string::npos);
}

TEST(PassManager, UnknownSkipNameIsAnError) {
  Graph g = two_node_graph();
  PassManagerOptions options;
  options.skip = {"no_such_pass"};
  PassManager pm(options);
  pm.add(std::make_unique<DoNothing>());
  try {
    pm.run(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Invalid);
    EXPECT_NE(std::string(e.what()).find("cannot skip pass 'no_such_pass'"), std::string::npos) << e.what();
  }
}

TEST(Normalize, DefaultPipelineOrder) {
  EXPECT_EQ(default_pipeline(), (std::vector<std::string>{"remove_identity", "constant_folding", "nhwc_prologue",
                                                          "fold_input_normalization", "fold_batchnorm",
                                                          "fuse_matmul_add", "constant_folding"}));
  for (const auto& name : default_pipeline()) EXPECT_EQ(create_pass(name)->name(), name);
  EXPECT_THROW(create_pass("fold_everything"), Error);
}

TEST(Normalize, SkipOptionReachesThePassManager) {
  Graph g = two_node_graph();
  NormalizeOptions options;
  options.skip = {"constant_folding", "fuse_matmul_add"};
  PassReport report = normalize(g, options);
  ASSERT_EQ(report.passes.size(), default_pipeline().size());
  for (const auto& r : report.passes) {
    bool should_skip = r.name == "constant_folding" || r.name == "fuse_matmul_add";
    EXPECT_EQ(r.skipped, should_skip) << r.name;
  }
  options.skip = {"constant-folding"};
  EXPECT_THROW(normalize(g, options), Error);
}

}  // namespace
}  // namespace bf
