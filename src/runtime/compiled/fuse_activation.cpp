// fuse_activation: an affine or convolution step followed by a monotone
// activation that is the only reader of its result becomes one step; the
// activation runs in the kernel's epilogue, in the same pass over the output,
// and the pre-activation value is never stored.
//
// Fusing moves the activation's write one op earlier, to where the layer reads
// its input. The planner's physical buffers assumed the op-level schedule, so
// when the activation's output shares a physical buffer with the layer's input
// (planner reuse puts them together once the value between them is gone) the
// pair is left unfused: fusing would make the kernel write over its own input.
#include "runtime/compiled/lowering_passes.h"

namespace bf {

void fuse_activation(const LoweringContext& ctx, LoweredTask& t) {
  std::map<BufferId, int> readers;
  for (const auto& s : t.steps) {
    for (BufferId b : s.inputs) ++readers[b];
  }
  const StoragePlan& storage = ctx.plan->storage;
  // Where a buffer really lives: a view (alias_views may have run first) is stored in its root's buffer.
  auto physical = [&](BufferId b) {
    while (t.alias_of.count(b)) b = t.alias_of.at(b);
    return storage.to_physical(b);
  };
  std::vector<LoweredStep> out;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    LoweredStep& s = t.steps[i];
    const bool fusable_producer = s.kind == StepKind::IntervalAffine || s.kind == StepKind::IntervalConv;
    if (fusable_producer && !s.activation && s.outputs.size() == 1 && i + 1 < t.steps.size()) {
      const LoweredStep& next = t.steps[i + 1];
      const BufferId v = s.outputs[0];
      const bool only_reader = next.inputs.size() == 1 && next.inputs[0] == v && readers[v] == 1;
      bool shares_input_storage = false;
      for (BufferId in : s.inputs) {
        for (BufferId out_b : next.outputs) shares_input_storage |= physical(in) == physical(out_b);
      }
      // A buffer another task or the caller reads must be stored.
      if (next.kind == StepKind::Elementwise && only_reader && !is_task_io_buffer(ctx, v) && !shares_input_storage) {
        s.activation = next.node;
        s.ops.insert(s.ops.end(), next.ops.begin(), next.ops.end());
        s.outputs = next.outputs;
        out.push_back(std::move(s));
        ++i;  // the activation step is absorbed
        continue;
      }
    }
    out.push_back(std::move(s));
  }
  t.steps = std::move(out);
}

}  // namespace bf
