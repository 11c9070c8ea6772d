// The compiled executor's general kernels: the ones that are not a specialised
// fast path (those live in src/kernels/interval and are wrapped in
// fast_kernels.h). All of them bind constants at compile time and take their
// temporaries from executor-provided scratch.
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"
#include "runtime/compiled/compiled_kernel.h"

namespace bf {

// How one operand of a node reaches a kernel at run time.
struct BoundOperand {
  enum class Kind : std::uint8_t { Absent, Constant, Activation };
  Kind kind = Kind::Absent;
  Tensor constant;          // Constant: in the plan dtype
  std::int32_t index = -1;  // Activation: position in KernelIO::inputs
  Shape shape;              // per-sample shape
};

// Binds `node`'s operands: constants (converted to `dtype` when they are float)
// and activations in operand order.
std::vector<BoundOperand> bind_operands(const Graph& graph, const Node& node, DType dtype);

// Ops non-decreasing in every activation: the primal op on the lower planes,
// then on the upper planes. No scratch.
std::unique_ptr<CompiledKernel> make_monotone_kernel(const Node& node, std::vector<BoundOperand> operands,
                                                     std::vector<Shape> output_shapes, DType dtype, std::int64_t batch);

// The reference interval rule (bf::ibp_eval_op) with its scratch planned.
std::unique_ptr<CompiledKernel> make_rule_kernel(const Node& node, std::vector<BoundOperand> operands,
                                                 std::vector<Shape> output_shapes, DType dtype, std::int64_t batch);

// A view: the output shares its input's storage, nothing runs.
std::unique_ptr<CompiledKernel> make_alias_kernel(const Node& node);

}  // namespace bf
