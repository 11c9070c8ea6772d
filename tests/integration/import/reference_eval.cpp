#include "reference_eval.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/forward_executor.h"

namespace bf::test {

std::vector<Tensor> evaluate_graph(const Graph& g, const std::vector<Tensor>& inputs) {
  // The reference forward executor, in the graph's float dtype (f64 when any
  // input is f64), reshaped back to the IR shapes of the outputs.
  ForwardOptions options;
  for (ValueId v : g.inputs()) {
    if (g.type(v).dtype == DType::F64) options.compute = DType::F64;
  }
  std::vector<Tensor> out = run_forward(g, inputs, options);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const TensorType& t = g.type(g.outputs()[i]);
    if (is_floating(t.dtype) && out[i].dtype() != t.dtype) out[i] = out[i].cast(t.dtype);
  }
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
