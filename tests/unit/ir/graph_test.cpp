#include "ir/graph.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "support/golden_text.h"

namespace bf {
namespace {

// x[1,4] -> Affine(W[3,4], b[3]) -> Relu -> output
Graph small_graph() {
  Graph g;
  g.name = "small";
  ValueId x = g.add_input("x", {DType::F32, {1, 4}});
  ValueId w = g.add_constant("w", Tensor(DType::F32, {3, 4}));
  ValueId b = g.add_constant("b", Tensor::from_vector<float>({3}, {1.0f, 2.0f, 3.0f}));
  ValueId h = g.add_inferred_node(OpKind::Affine, "fc", {}, {x, w, b}, {"h"})[0];
  ValueId y = g.add_inferred_node(OpKind::Relu, "relu", {}, {h}, {"y"})[0];
  g.add_output(y);
  return g;
}

TEST(Graph, ValidGraphValidates) {
  Graph g = small_graph();
  EXPECT_NO_THROW(validate(g));
  EXPECT_EQ(g.type(g.outputs()[0]), (TensorType{DType::F32, {1, 3}}));
}

TEST(Graph, DetectsUseBeforeDefinition) {
  Graph g = small_graph();
  std::swap(g.nodes()[0], g.nodes()[1]);
  try {
    validate(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'relu' (Relu): input 'h' is used before it is defined"),
              std::string::npos)
        << e.what();
  }
}

TEST(Graph, DetectsTwoProducers) {
  Graph g = small_graph();
  Node dup = g.nodes()[1];
  dup.name = "relu2";
  g.add_node(dup);
  EXPECT_THROW(validate(g), Error);
}

TEST(Graph, DetectsShapeMismatch) {
  Graph g = small_graph();
  g.value(g.outputs()[0]).type.shape = {1, 4};
  try {
    validate(g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Shape);
    EXPECT_NE(std::string(e.what()).find("recorded as f32[1,4] but the op yields f32[1,3]"), std::string::npos);
  }
}

TEST(Graph, CompactDropsDeadValuesAndKeepsOrder) {
  Graph g = small_graph();
  g.add_constant("unused", Tensor(DType::F32, {2}));
  ValueId h = g.nodes()[0].outputs[0];
  g.replace_all_uses(g.nodes()[1].outputs[0], h);
  g.remove_nodes({1});
  g.compact();
  validate(g);
  EXPECT_EQ(g.num_values(), 4);
  EXPECT_EQ(g.value(g.outputs()[0]).name, "h");
}

TEST(Printer, StableAndReadable) {
  Graph g = small_graph();
  std::string a = print_graph(g);
  std::string b = print_graph(small_graph());
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("%h = Affine(%x, %w, %b) : f32[1,3]  // fc"), std::string::npos) << a;
  EXPECT_NE(a.find("const  %b : f32[3] #"), std::string::npos) << a;
  EXPECT_NE(a.find("= [1,2,3]"), std::string::npos) << a;
  test::expect_golden_text(a, "ir/small_graph.txt");
}

}  // namespace
}  // namespace bf
