// channels_last: a value produced by one convolution step and read only by
// other convolution steps of the same task keeps its bound planes in NHWC
// order, the order the convolution kernels compute in, so the transposes to
// NCHW and back at that boundary disappear. Buffers another task, the caller
// or any other kind of step reads stay NCHW, the IR's layout.
#include "runtime/compiled/lowering_passes.h"

namespace bf {

void channels_last(const LoweringContext& ctx, LoweredTask& t) {
  std::map<BufferId, std::int32_t> producer;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    for (BufferId b : t.steps[i].outputs) producer[b] = static_cast<std::int32_t>(i);
  }
  std::map<BufferId, bool> read_only_by_convs;
  for (const auto& s : t.steps) {
    for (BufferId b : s.inputs) {
      auto [it, fresh] = read_only_by_convs.try_emplace(b, true);
      it->second = it->second && s.kind == StepKind::IntervalConv;
    }
  }
  t.channels_last.clear();
  for (const auto& [b, only_convs] : read_only_by_convs) {
    auto p = producer.find(b);
    if (!only_convs || p == producer.end()) continue;
    const LoweredStep& s = t.steps[static_cast<std::size_t>(p->second)];
    if (s.kind != StepKind::IntervalConv || s.outputs.size() != 1) continue;
    if (is_task_io_buffer(ctx, b) || t.alias_of.count(b)) continue;
    t.channels_last.insert(b);
  }
}

}  // namespace bf
