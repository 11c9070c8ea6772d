// alias_views: Flatten, Reshape, Squeeze, Unsqueeze, Identity and Dropout do
// not move a single element in the interval layout (lower plane, upper plane,
// C order), so their output can share their input's storage instead of being
// copied. Not done when the output is a task output (it must land in its own
// program buffer), or when sharing would keep the input's storage alive past
// the point where the plan hands it to another buffer.
#include <algorithm>

#include "runtime/compiled/lowering_passes.h"

namespace bf {

void alias_views(const LoweringContext& ctx, LoweredTask& t) {
  const StoragePlan& storage = ctx.plan->storage;
  const auto occupants = storage.occupants();
  const auto last_read = last_step_reading(t);
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    LoweredStep& s = t.steps[i];
    if (s.kind != StepKind::Monotone || !is_view(ctx.graph->node(s.node).op)) continue;
    if (s.inputs.size() != 1 || s.outputs.size() != 1) continue;
    const BufferId out = s.outputs[0];
    if (is_task_io_buffer(ctx, out)) continue;
    BufferId root = s.inputs[0];
    while (t.alias_of.count(root)) root = t.alias_of.at(root);
    // The output keeps the root's storage busy until its own last read here.
    auto lr = last_read.find(out);
    const std::int32_t busy_until = lr == last_read.end() ? static_cast<std::int32_t>(i) : lr->second;
    // Another buffer the plan puts in the same physical buffer must not be written in between.
    bool conflict = false;
    for (BufferId other : occupants[static_cast<std::size_t>(storage.to_physical(root))]) {
      if (other == root) continue;
      for (std::int32_t step = static_cast<std::int32_t>(i); step <= busy_until; ++step) {
        const auto& outs = t.steps[static_cast<std::size_t>(step)].outputs;
        if (std::find(outs.begin(), outs.end(), other) != outs.end()) conflict = true;
      }
    }
    if (conflict) continue;
    s.kind = StepKind::Alias;
    t.alias_of[out] = root;
  }
}

}  // namespace bf
