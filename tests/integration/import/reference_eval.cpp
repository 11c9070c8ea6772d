#include "reference_eval.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/op_eval.h"

namespace bf::test {

std::vector<Tensor> evaluate_graph(const Graph& g, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> values(static_cast<std::size_t>(g.num_values()));
  for (const auto& [id, t] : g.constants()) values[static_cast<std::size_t>(id)] = t;
  EXPECT_EQ(inputs.size(), g.inputs().size());
  for (std::size_t i = 0; i < inputs.size() && i < g.inputs().size(); ++i) {
    values[static_cast<std::size_t>(g.inputs()[i])] = inputs[i];
  }
  for (const auto& node : g.nodes()) {
    std::vector<Tensor> operands;
    for (ValueId v : node.inputs) operands.push_back(v == kNoValue ? Tensor() : values[static_cast<std::size_t>(v)]);
    std::vector<Tensor> outs = eval_node(node, operands);
    for (std::size_t i = 0; i < outs.size(); ++i) values[static_cast<std::size_t>(node.outputs[i])] = outs[i];
  }
  std::vector<Tensor> out;
  for (ValueId v : g.outputs()) out.push_back(values[static_cast<std::size_t>(v)]);
  return out;
}

void expect_close(const Tensor& actual, const Tensor& expected, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(actual.dtype(), expected.dtype()) << what;
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  std::vector<double> a = actual.to_double_vector(), e = expected.to_double_vector();
  int reported = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool ok =
        (std::isnan(a[i]) && std::isnan(e[i])) || a[i] == e[i] || std::abs(a[i] - e[i]) <= atol + rtol * std::abs(e[i]);
    if (!ok && reported++ < 5) ADD_FAILURE() << what << " element " << i << ": " << a[i] << " vs expected " << e[i];
  }
}

}  // namespace bf::test
