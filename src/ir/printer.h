// Stable textual form of the primal IR (`boundflow dump-ir`). The same graph
// always prints the same bytes, so dumps before and after a pass can be diffed.
#pragma once

#include <string>

#include "ir/graph.h"

namespace bf {

std::string print_graph(const Graph& graph);
// "%name", quoted when the name holds characters outside [A-Za-z0-9_./:-].
std::string value_ref(const Graph& graph, ValueId id);
// 16 hex digits identifying a constant's dtype, shape and bytes.
std::string tensor_fingerprint(const Tensor& t);

}  // namespace bf
