// A kernel of the compiled executor: prepared once at compile time (weights,
// |W|, oneDNN primitives), then run many times on memory the executor hands
// it. Kernels never allocate tensor memory while running: what they need
// beyond their operands they declare as scratch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bound/interval_ops.h"
#include "bound/linear/linear_view.h"
#include "runtime/compiled/prepared_store.h"

namespace bf {

// The memory of one step: each buffer as its first two planes (`lower` is the
// buffer's start; buffers of more planes space them equally, so plane k starts
// k * (upper - lower) bytes in).
struct KernelIO {
  std::span<const IntervalIn> inputs;    // buffers read (interval steps: activation operands, in operand order)
  std::span<const IntervalOut> outputs;  // buffers written
  void* scratch = nullptr;               // scratch_bytes() bytes, 64-byte aligned
  const SweepChunk* chunk = nullptr;     // steps of a sweep: the rows this run bounds
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
  // Prepared data the kernel owns alone, and the shared prepared buffers it
  // holds (prepared_store.h; a program counts each distinct one once).
  virtual std::int64_t prepared_bytes() const { return 0; }
  virtual std::vector<PreparedFloats> shared_prepared() const { return {}; }
  virtual void run(const KernelIO& io) = 0;
};

}  // namespace bf
