// Small hand-built graphs shared by planner, runtime and executor tests.
#pragma once

#include <memory>

#include "ir/graph.h"

namespace bf::test {

// x[1,in] -> (Affine -> Relu) x layers -> Affine -> y. Widths cycle through `widths`.
std::shared_ptr<Graph> mlp_chain(int layers, std::vector<std::int64_t> widths, std::int64_t in = 8);

// x -> a=Relu(x) -> b=Neg(a) -> c=Add(a,b) -> d=Relu(c) -> e=Sigmoid(d) -> f=Add(d,e) -> y=Tanh(f):
// two residual-style joins, so some cut points carry two buffers and some one.
std::shared_ptr<Graph> residual_graph();

}  // namespace bf::test
