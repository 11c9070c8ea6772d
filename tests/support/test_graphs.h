// Small hand-built graphs shared by planner, runtime and executor tests.
#pragma once

#include <memory>

#include "ir/graph.h"

namespace bf::test {

// Canonical attributes of a square 2-D Conv (dilation 1) and of a 2-D MaxPool
// (no padding, ceil_mode 0): the forms src/ir/op_kind.h documents.
Attributes conv2d_attrs(std::int64_t kernel, std::int64_t stride, std::int64_t pad, std::int64_t group = 1);
Attributes max_pool2d_attrs(std::int64_t kernel, std::int64_t stride);
Attributes avg_pool2d_attrs(std::int64_t kernel, std::int64_t stride);  // no padding, count_include_pad 0

// x[1,in] -> (Affine -> Relu) x layers -> Affine -> y. Widths cycle through `widths`.
std::shared_ptr<Graph> mlp_chain(int layers, std::vector<std::int64_t> widths, std::int64_t in = 8);

// x -> a=Relu(x) -> b=Neg(a) -> c=Add(a,b) -> d=Relu(c) -> e=Sigmoid(d) -> f=Add(d,e) -> y=Tanh(f):
// two residual-style joins, so some cut points carry two buffers and some one.
std::shared_ptr<Graph> residual_graph();

// x[1,2,8,8] -> Conv(4, 3x3, pad 1) -> Relu -> MaxPool 2x2 -> Flatten -> Affine(64->5) -> Relu -> Affine(5->3).
std::shared_ptr<Graph> conv_chain();

// A residual conv net: x[1,2,8,8] -> Conv(3x3) -> Relu -> Conv(3x3) -> Add(skip) -> Relu -> Conv(4x4, stride 2)
// -> Relu -> Pad -> AveragePool 2x2 -> Flatten -> Affine -> Relu -> Affine(3). Windows that meet at the Add.
std::shared_ptr<Graph> residual_conv();

// Convolutions wide enough (16 output channels) for compiled CROWN's column
// products: x[1,3,8,8] -> Conv(16, 3x3, pad 1) -> Relu -> Conv(16, 4x4, stride 2,
// pad 1) -> Relu -> Conv(16, 3x3, pad 1) -> Add(skip) -> Relu -> Flatten ->
// Affine(8) -> Relu -> Affine(3): stride 1 and 2, padding at the borders, few
// input channels, and a convolution whose input A also gets the skip's.
std::shared_ptr<Graph> wide_conv();

// x[1,6] -> Affine -> Tanh -> Affine -> Sigmoid -> Affine -> LeakyRelu(0.1) -> Affine(3).
std::shared_ptr<Graph> s_shaped_mlp();

// Ops without a fast kernel: x[1,6] -> Affine -> Sigmoid -> Sub c -> Mul c -> Reshape [1,2,4] -> Softmax ->
// Flatten -> Gemm(alpha 0.5) -> Tanh. The Gemm's alpha keeps it on the reference rule (oneDNN inside).
std::shared_ptr<Graph> mixed_ops_graph();

// A random small graph for branch-and-bound tests, over a two-input box (a grid
// gives the truth): x[1,2] -> Affine(16) -> Reshape [1,1,4,4] -> Conv(C, 3x3,
// pad 1) -> Relu -> Conv(C, 3x3, pad 1) [-> Add(skip)] -> Relu [-> AveragePool
// | MaxPool 2x2] -> Flatten -> Affine(6) -> Relu -> Affine(3); C in 1..3, the
// skip and the pooling drawn from the seed.
std::shared_ptr<Graph> random_residual_conv(unsigned seed);

}  // namespace bf::test
