// A kernel of the compiled executor: prepared once at compile time (weights,
// |W|, oneDNN primitives), then run many times on memory the executor hands
// it. Kernels never allocate tensor memory while running: what they need
// beyond their operands they declare as scratch.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "bound/interval_ops.h"

namespace bf {

struct KernelIO {
  std::span<const IntervalIn> inputs;    // activation operands only, in operand order
  std::span<const IntervalOut> outputs;  // the step's outputs
  void* scratch = nullptr;               // scratch_bytes() bytes, 64-byte aligned
};

class CompiledKernel {
 public:
  virtual ~CompiledKernel() = default;
  // What runs, for dumps: e.g. "interval_affine[gemv_avx2]+relu".
  virtual std::string name() const = 0;
  virtual std::int64_t scratch_bytes() const = 0;
  // False when the kernel allocates inside a library call the executor cannot
  // see into (FORCE_STATIC_PLAN refuses such kernels).
  virtual bool static_plannable() const { return true; }
  virtual std::int64_t prepared_bytes() const { return 0; }
  virtual void run(const KernelIO& io) = 0;
};

}  // namespace bf
