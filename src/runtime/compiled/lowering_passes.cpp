#include "runtime/compiled/lowering_passes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
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
    case StepKind::Relax:
      return "relax";
    case StepKind::Select:
      return "select";
    case StepKind::Seed:
      return "seed";
    case StepKind::Backward:
      return "backward";
    case StepKind::BackwardAffine:
      return "backward_affine";
    case StepKind::BackwardConv:
      return "backward_conv";
    case StepKind::BackwardRelaxed:
      return "backward_relaxed";
    case StepKind::BackwardView:
      return "backward_view";
    case StepKind::Concretize:
      return "concretize";
    case StepKind::Restore:
      return "restore";
    case StepKind::DualSeed:
      return "dual_seed";
    case StepKind::Dual:
      return "dual";
    case StepKind::BackwardReluAlpha:
      return "backward_relu_alpha";
    case StepKind::DualSeedDense:
      return "dual_seed_dense";
    case StepKind::DualRelu:
      return "dual_relu";
    case StepKind::DualAffine:
      return "dual_affine";
    case StepKind::DualView:
      return "dual_view";
    case StepKind::DualConv:
      return "dual_conv";
    case StepKind::Account:
      return "account";
    case StepKind::Charge:
      return "charge";
    case StepKind::Beta:
      return "beta";
    case StepKind::BetaGradient:
      return "beta_gradient";
    case StepKind::Score:
      return "score";
  }
  return "?";
}

StepPurpose step_purpose(StepKind kind) {
  switch (kind) {
    case StepKind::IntervalAffine:
    case StepKind::IntervalConv:
    case StepKind::Elementwise:
    case StepKind::Monotone:
    case StepKind::Alias:
    case StepKind::Rule:
    case StepKind::Relax:
    case StepKind::Select:
    case StepKind::Seed:
    case StepKind::Backward:
    case StepKind::BackwardAffine:
    case StepKind::BackwardConv:
    case StepKind::BackwardRelaxed:
    case StepKind::BackwardView:
    case StepKind::Concretize:
    case StepKind::Restore:
    case StepKind::BackwardReluAlpha:  // clamps alpha in place and relaxes: part of the bound
    case StepKind::Account:
    case StepKind::Charge:
    case StepKind::Beta:
      return StepPurpose::Bounds;
    case StepKind::DualSeed:
    case StepKind::Dual:
    case StepKind::DualSeedDense:
    case StepKind::DualRelu:
    case StepKind::DualAffine:
    case StepKind::DualView:
    case StepKind::DualConv:
    case StepKind::BetaGradient:
      return StepPurpose::Gradients;
    case StepKind::Score:
      return StepPurpose::Scores;
  }
  fail(ErrorKind::Internal, "step kind {} has no purpose", static_cast<int>(kind));
}

namespace {

// The passes, in their one valid order. Required passes cannot be left out;
// optional ones rewrite steps and must run before prepare_weights.
struct LoweringPass {
  const char* name;
  void (*run)(const LoweringContext&, LoweredTask&);
  bool optional;
};
constexpr std::array<LoweringPass, 6> kLoweringPasses = {{
    {"select_kernels", &select_kernels, false},
    {"fuse_activation", &fuse_activation, true},
    {"alias_views", &alias_views, true},
    {"channels_last", &channels_last, true},
    {"prepare_weights", &prepare_weights, false},
    {"plan_memory", &plan_memory, false},
}};

const LoweringPass* find_pass(const std::string& name) {
  for (const auto& p : kLoweringPasses) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

std::string known_passes() {
  std::vector<std::string> names;
  for (const auto& p : kLoweringPasses) names.emplace_back(p.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

const std::vector<std::string>& default_lowering_passes() {
  static const std::vector<std::string> passes = [] {
    std::vector<std::string> v;
    for (const auto& p : kLoweringPasses) v.emplace_back(p.name);
    return v;
  }();
  return passes;
}

void check_lowering_passes(const std::vector<std::string>& passes) {
  std::set<std::string> seen;
  for (const auto& p : passes) {
    BF_CHECK(find_pass(p) != nullptr, ErrorKind::Usage, "unknown lowering pass '{}' (known: {})", p, known_passes());
    BF_CHECK(seen.insert(p).second, ErrorKind::Usage, "lowering pass '{}' listed twice", p);
  }
  for (const auto& p : kLoweringPasses) {
    BF_CHECK(p.optional || seen.count(p.name), ErrorKind::Usage, "lowering pass '{}' is required", p.name);
  }
  BF_CHECK(passes.front() == "select_kernels", ErrorKind::Usage, "lowering must start with select_kernels");
  BF_CHECK(passes.back() == "plan_memory", ErrorKind::Usage, "lowering must end with plan_memory");
  auto at = [&](const char* name) { return std::find(passes.begin(), passes.end(), name) - passes.begin(); };
  for (const auto& p : kLoweringPasses) {
    if (p.optional && seen.count(p.name)) {
      BF_CHECK(at(p.name) < at("prepare_weights"), ErrorKind::Usage,
               "{} rewrites steps and must come before prepare_weights", p.name);
    }
  }
}

void verify_lowered_task(const LoweringContext& ctx, const LoweredTask& t, const std::string& after) {
  auto broken = [&](const std::string& what) {
    fail(ErrorKind::Internal, "lowering of task {} is broken after {}: {}", ctx.task->name, after, what);
  };
  // Every op of the task is covered by exactly one step, and steps touch only what their ops touch.
  std::vector<int> covered(ctx.task->ops.size(), 0);
  std::set<BufferId> touched;
  for (const auto& op : ctx.task->ops) {
    touched.insert(op.reads.begin(), op.reads.end());
    touched.insert(op.writes.begin(), op.writes.end());
  }
  bool kernels = true;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    const LoweredStep& s = t.steps[i];
    if (s.ops.empty()) broken(fmt::format("step {} covers no op", i));
    for (auto o : s.ops) {
      if (o < 0 || static_cast<std::size_t>(o) >= covered.size()) broken(fmt::format("step {} covers op {}", i, o));
      ++covered[static_cast<std::size_t>(o)];
    }
    for (const auto* list : {&s.inputs, &s.outputs}) {
      for (BufferId b : *list) {
        if (!touched.count(b)) broken(fmt::format("step {} touches buffer b{} that its ops do not", i, b));
      }
    }
    kernels = kernels && s.kernel != nullptr;
  }
  for (std::size_t o = 0; o < covered.size(); ++o) {
    if (covered[o] != 1) broken(fmt::format("op {} is covered by {} steps", o, covered[o]));
  }
  for (const auto& [from, to] : t.alias_of) {
    BufferId root = to;
    for (std::size_t hops = 0; t.alias_of.count(root); ++hops) {
      if (hops > t.alias_of.size()) broken(fmt::format("alias chain from b{} loops", from));
      root = t.alias_of.at(root);
    }
  }
  const bool prepared =
      std::find(ctx.passes_run.begin(), ctx.passes_run.end(), "prepare_weights") != ctx.passes_run.end();
  if (prepared && !kernels) broken("a step has no kernel after prepare_weights");
  if (after == "plan_memory") {
    for (const auto& s : t.steps) {
      for (const auto* list : {&s.inputs, &s.outputs}) {
        for (BufferId b : *list) {
          if (!t.unit_of_buffer.count(b)) broken(fmt::format("buffer b{} has no memory unit", b));
        }
      }
    }
  }
}

std::string lowered_task_to_text(const LoweringContext& ctx, const LoweredTask& t) {
  const StoragePlan& storage = ctx.plan->storage;
  std::string out;
  auto names = [&](const std::vector<BufferId>& bs) {
    std::vector<std::string> v;
    for (BufferId b : bs) v.push_back(storage.logical_buffers[static_cast<std::size_t>(b)].name);
    return fmt::format("{}", fmt::join(v, ", "));
  };
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    const LoweredStep& s = t.steps[i];
    out += fmt::format("  step {:<2} {:<16} {:<28} [{}] -> [{}]{}\n", i, step_kind_name(s.kind),
                       s.kernel ? s.kernel->name() : std::string("-"), names(s.inputs), names(s.outputs),
                       s.node >= 0 ? "  // " + ctx.graph->node(s.node).name : std::string());
  }
  for (const auto& [from, to] : t.alias_of) {
    out += fmt::format("  alias {} -> {}\n", storage.logical_buffers[static_cast<std::size_t>(from)].name,
                       storage.logical_buffers[static_cast<std::size_t>(to)].name);
  }
  return out;
}

LoweredTask lower_task(LoweringContext ctx, const std::vector<std::string>& passes) {
  check_lowering_passes(passes);
  LoweredTask t;
  ctx.passes_run.clear();
  for (const auto& name : passes) {
    Stopwatch watch;
    find_pass(name)->run(ctx, t);
    t.pass_timings.push_back({name, watch.elapsed_ms()});
    ctx.passes_run.push_back(name);
    // The verifier between passes, as transform/ runs validate() between its passes.
    verify_lowered_task(ctx, t, name);
    if (ctx.dumps != nullptr) {
      ctx.dumps->push_back(fmt::format("// task {} after {}\n{}", ctx.task->name, name, lowered_task_to_text(ctx, t)));
    }
  }
  return t;
}

bool is_external_buffer(const LoweringContext& ctx, BufferId b) {
  return (*ctx.external_physical)[static_cast<std::size_t>(ctx.plan->storage.to_physical(b))];
}

bool is_task_io_buffer(const LoweringContext& ctx, BufferId b) {
  for (BufferId o : ctx.task->io.outputs) {
    if (o == b) return true;
  }
  for (BufferId i : ctx.task->io.inputs) {
    if (i == b) return true;
  }
  const BufferScope scope = ctx.plan->storage.logical_buffers[static_cast<std::size_t>(b)].scope;
  return scope == BufferScope::Input || scope == BufferScope::Output || scope == BufferScope::State;
}

std::map<BufferId, std::int32_t> step_writing(const LoweredTask& t) {
  std::map<BufferId, std::int32_t> out;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    for (BufferId b : t.steps[i].outputs) out[b] = static_cast<std::int32_t>(i);
  }
  return out;
}

std::map<BufferId, std::int32_t> last_step_reading(const LoweredTask& t) {
  std::map<BufferId, std::int32_t> out;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    for (BufferId b : t.steps[i].inputs) out[b] = static_cast<std::int32_t>(i);
  }
  return out;
}

}  // namespace bf
