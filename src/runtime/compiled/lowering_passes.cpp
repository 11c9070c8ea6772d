#include "runtime/compiled/lowering_passes.h"

#include <algorithm>
#include <set>

#include "support/error.h"
#include "support/timer.h"

namespace bf {

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::IntervalAffine:
      return "interval_affine";
    case StepKind::IntervalConv:
      return "interval_conv";
    case StepKind::Elementwise:
      return "elementwise";
    case StepKind::Monotone:
      return "monotone";
    case StepKind::Alias:
      return "alias";
    case StepKind::Rule:
      return "rule";
  }
  return "?";
}

const std::vector<std::string>& default_lowering_passes() {
  static const std::vector<std::string> passes = {"select_kernels", "fuse_activation", "alias_views",
                                                  "channels_last",  "prepare_weights", "plan_memory"};
  return passes;
}

void check_lowering_passes(const std::vector<std::string>& passes) {
  static const std::set<std::string> known = {"select_kernels", "fuse_activation", "alias_views",
                                              "channels_last",  "prepare_weights", "plan_memory"};
  std::set<std::string> seen;
  for (const auto& p : passes) {
    BF_CHECK(known.count(p), ErrorKind::Usage,
             "unknown lowering pass '{}' (known: select_kernels, fuse_activation, "
             "alias_views, channels_last, prepare_weights, plan_memory)",
             p);
    BF_CHECK(seen.insert(p).second, ErrorKind::Usage, "lowering pass '{}' listed twice", p);
  }
  for (const char* required : {"select_kernels", "prepare_weights", "plan_memory"}) {
    BF_CHECK(seen.count(required), ErrorKind::Usage, "lowering pass '{}' is required", required);
  }
  BF_CHECK(passes.front() == "select_kernels", ErrorKind::Usage, "lowering must start with select_kernels");
  BF_CHECK(passes.back() == "plan_memory", ErrorKind::Usage, "lowering must end with plan_memory");
  auto at = [&](const char* name) { return std::find(passes.begin(), passes.end(), name) - passes.begin(); };
  for (const char* rewrite : {"fuse_activation", "alias_views", "channels_last"}) {
    if (seen.count(rewrite)) {
      BF_CHECK(at(rewrite) < at("prepare_weights"), ErrorKind::Usage,
               "{} rewrites steps and must come before prepare_weights", rewrite);
    }
  }
}

LoweredTask lower_task(const LoweringContext& ctx, const std::vector<std::string>& passes) {
  check_lowering_passes(passes);
  LoweredTask t;
  for (const auto& name : passes) {
    Stopwatch watch;
    if (name == "select_kernels")
      select_kernels(ctx, t);
    else if (name == "fuse_activation")
      fuse_activation(ctx, t);
    else if (name == "alias_views")
      alias_views(ctx, t);
    else if (name == "channels_last")
      channels_last(ctx, t);
    else if (name == "prepare_weights")
      prepare_weights(ctx, t);
    else
      plan_memory(ctx, t);
    t.pass_timings.push_back({name, watch.elapsed_ms()});
  }
  return t;
}

bool is_external_value(const LoweringContext& ctx, ValueId v) {
  const StoragePlan& s = ctx.plan->storage;
  return (*ctx.external_physical)[static_cast<std::size_t>(s.to_physical(s.buffer_of(v)))];
}

bool is_task_io_value(const LoweringContext& ctx, ValueId v) {
  const BufferId b = ctx.plan->storage.buffer_of(v);
  for (BufferId o : ctx.task->io.outputs) {
    if (o == b) return true;
  }
  for (BufferId i : ctx.task->io.inputs) {
    if (i == b) return true;
  }
  return ctx.graph->is_output(v) || ctx.graph->is_input(v);
}

std::map<ValueId, std::int32_t> step_writing(const LoweredTask& t) {
  std::map<ValueId, std::int32_t> out;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    for (ValueId v : t.steps[i].outputs) out[v] = static_cast<std::int32_t>(i);
  }
  return out;
}

std::map<ValueId, std::int32_t> last_step_reading(const LoweredTask& t) {
  std::map<ValueId, std::int32_t> out;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    for (ValueId v : t.steps[i].inputs) out[v] = static_cast<std::int32_t>(i);
  }
  return out;
}

}  // namespace bf
