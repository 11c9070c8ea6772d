// plan_memory: gives every value the task touches and every step's scratch a
// MemoryUnit. Values another task or the caller sees live in program buffers
// (External). The rest are the task's intermediates: with the planner's buffer
// reuse on, values the StoragePlan maps to one physical buffer form one unit
// (that is what the planner's reuse means inside a task); a view shares its
// input's unit. Then, per the memory plan mode:
//   DEFAULT / FORCE_STATIC_PLAN: every intermediate unit gets an offset in one
//     arena from the static planner (lifetimes in steps), checked for overlaps;
//     FORCE refuses kernels that allocate where the planner cannot see;
//   DISABLE_STATIC_PLAN: every unit is allocated on its own at run time.
#include <fmt/format.h>

#include <algorithm>

#include "runtime/compiled/lowering_passes.h"
#include "runtime/compiled/memory_planner.h"
#include "support/error.h"

namespace bf {
namespace {

// Values sharing a unit (the planner put them in one physical buffer) must be
// alive at different steps; views share with their root on purpose. A rewrite
// that broke this would make a kernel overwrite a value still to be read:
// fail loudly instead.
void check_units_disjoint(const LoweredTask& t) {
  auto root_of = [&](BufferId b) {
    while (t.alias_of.count(b)) b = t.alias_of.at(b);
    return b;
  };
  // Per unit, per root buffer: the steps from its first write (or read) to its last use.
  std::map<std::int32_t, std::map<BufferId, std::pair<std::int32_t, std::int32_t>>> spans;
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    const auto step = static_cast<std::int32_t>(i);
    for (const auto* list : {&t.steps[i].inputs, &t.steps[i].outputs}) {
      for (BufferId v : *list) {
        auto& span = spans[t.unit_of_buffer.at(v)].try_emplace(root_of(v), step, step).first->second;
        span.first = std::min(span.first, step);
        span.second = std::max(span.second, step);
      }
    }
  }
  for (const auto& [unit, members] : spans) {
    for (auto a = members.begin(); a != members.end(); ++a) {
      for (auto b = std::next(a); b != members.end(); ++b) {
        BF_CHECK(a->second.second < b->second.first || b->second.second < a->second.first, ErrorKind::Internal,
                 "buffers b{} and b{} share memory unit {} but are alive together (steps {}..{} and {}..{})", a->first,
                 b->first, unit, a->second.first, a->second.second, b->second.first, b->second.second);
      }
    }
  }
}

}  // namespace

void plan_memory(const LoweringContext& ctx, LoweredTask& t) {
  const StoragePlan& storage = ctx.plan->storage;

  if (ctx.mode == MemoryPlanMode::ForceStaticPlan && !t.unplanned_kernels.empty()) {
    fail(ErrorKind::Unsupported,
         "FORCE_STATIC_PLAN: task {} cannot be planned statically: {} allocates inside oneDNN at run time (its "
         "interval rule has no prepared kernel here); use DEFAULT to run it with that allocation reported",
         ctx.task->name, t.unplanned_kernels.front());
  }

  t.units.clear();
  t.unit_of_buffer.clear();
  t.plane_bytes.clear();
  std::map<BufferId, std::int32_t> unit_of_physical;
  auto root_of = [&](BufferId b) {
    while (t.alias_of.count(b)) b = t.alias_of.at(b);
    return b;
  };
  auto touch = [&](BufferId b, std::int32_t step) {
    const BufferId root = root_of(b);
    const BufferId physical = storage.to_physical(root);
    auto it = unit_of_physical.find(physical);
    if (it == unit_of_physical.end()) {
      MemoryUnit u;
      u.place = is_external_buffer(ctx, root) ? MemoryUnit::Place::External
                : is_static(ctx.mode)         ? MemoryUnit::Place::Arena
                                              : MemoryUnit::Place::Dynamic;
      u.physical = physical;
      u.first_step = u.last_step = step;
      it = unit_of_physical.emplace(physical, static_cast<std::int32_t>(t.units.size())).first;
      t.units.push_back(u);
    }
    MemoryUnit& u = t.units[static_cast<std::size_t>(it->second)];
    const BufferSpec& spec = storage.logical_buffers[static_cast<std::size_t>(b)];
    t.plane_bytes[b] = spec.plane_bytes();
    u.bytes = std::max(u.bytes, layout_planes(spec.layout) * spec.plane_bytes());
    u.first_step = std::min(u.first_step, step);
    u.last_step = std::max(u.last_step, step);
    if (!t.unit_of_buffer.count(b)) {
      if (!u.label.empty()) u.label += " ";
      u.label += spec.name;
    }
    t.unit_of_buffer[b] = it->second;
  };
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    for (BufferId b : t.steps[i].inputs) touch(b, static_cast<std::int32_t>(i));
    for (BufferId b : t.steps[i].outputs) touch(b, static_cast<std::int32_t>(i));
  }
  check_units_disjoint(t);
  t.scratch_unit.assign(t.steps.size(), -1);
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    const std::int64_t bytes = t.steps[i].kernel ? t.steps[i].kernel->scratch_bytes() : 0;
    if (bytes <= 0) continue;
    MemoryUnit u;
    u.place = is_static(ctx.mode) ? MemoryUnit::Place::Arena : MemoryUnit::Place::Dynamic;
    u.bytes = bytes;
    u.first_step = u.last_step = static_cast<std::int32_t>(i);
    u.scratch = true;
    u.label = fmt::format("scratch of step {}", i);
    t.scratch_unit[i] = static_cast<std::int32_t>(t.units.size());
    t.units.push_back(u);
  }

  // The static plan (also computed in DISABLE mode, for the lower bound it reports).
  auto planner = make_memory_planner(ctx.memory_planner);
  std::vector<std::int32_t> planned;
  for (std::size_t u = 0; u < t.units.size(); ++u) {
    if (t.units[u].place == MemoryUnit::Place::External) continue;
    planner->add_buffer(t.units[u].bytes, t.units[u].first_step, t.units[u].last_step);
    planned.push_back(static_cast<std::int32_t>(u));
  }
  t.lower_bound_bytes = planner->lower_bound_bytes();
  if (is_static(ctx.mode)) {
    planner->plan();
    planner->check_no_overlap();
    for (std::size_t k = 0; k < planned.size(); ++k) {
      t.units[static_cast<std::size_t>(planned[k])].offset = planner->offset(static_cast<std::int32_t>(k));
    }
    t.arena_bytes = planner->arena_bytes();
  } else {
    t.arena_bytes = 0;
  }
}

}  // namespace bf
