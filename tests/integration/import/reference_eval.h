// Test helper: runs an imported graph with the reference forward executor
// (bf::run_forward) and compares tensors, so import tests can check that the IR
// computes what ONNX Runtime, PyTorch or the ONNX test data say it should.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "tensor/tensor.h"

namespace bf::test {

// One tensor per graph input in, one per graph output out.
std::vector<Tensor> evaluate_graph(const Graph& g, const std::vector<Tensor>& inputs);

// Same dtype and shape, and every element within atol + rtol * |expected|
// (NaN matches NaN). Reports up to five differing elements as test failures.
void expect_close(const Tensor& actual, const Tensor& expected, double atol, double rtol, const std::string& what);

}  // namespace bf::test
