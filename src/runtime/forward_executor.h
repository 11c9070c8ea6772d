// The reference forward executor: runs a validated primal graph on concrete
// inputs, node by node in graph order, through bf::eval_op. Plain on purpose:
// it defines the network's semantics that every other executor must reproduce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "tensor/tensor.h"

namespace bf {

struct ForwardStats {
  // Largest total size of the activations alive at once (inputs converted to
  // the compute dtype, node results, converted constants), in bytes.
  std::size_t peak_activation_bytes = 0;
};

struct ForwardOptions {
  // F32 or F64. Every float value of the graph (inputs, constants, results) is
  // computed in this dtype, whatever dtype the graph declares; the caller's
  // graph is never modified. Integer values keep their dtype.
  DType compute = DType::F32;
  // Samples evaluated together.
  std::int64_t batch = 1;
  // When set, filled with statistics of the run.
  ForwardStats* stats = nullptr;
};

// Runs `graph` on one tensor per graph input, each holding `batch` samples:
// numel == batch * numel(IR shape), in any shape with that count, of a float
// dtype for float inputs (converted to options.compute) or the IR dtype for
// integer ones. Returns one tensor per graph output, of the IR shape when
// batch == 1 and [batch] + IR shape otherwise. Activations are freed after their
// last use. Throws bf::Error naming the node whose evaluation fails.
std::vector<Tensor> run_forward(const Graph& graph, const std::vector<Tensor>& inputs,
                                const ForwardOptions& options = {});

}  // namespace bf
