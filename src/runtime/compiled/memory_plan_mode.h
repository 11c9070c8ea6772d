// How a compiled task's intermediates get memory. Part of the compile-cache key.
//   DEFAULT             a static plan: every intermediate (and kernel scratch) at an
//                       offset in one arena, computed at compile time from op-level
//                       lifetimes; kernels the planner cannot see into are reported
//   DISABLE_STATIC_PLAN every intermediate allocated on its own at run time and freed
//                       at its last use
//   FORCE_STATIC_PLAN   a static plan is required: compiling fails with a clear error
//                       if anything cannot be planned statically (never falls back)
#pragma once

#include <string>

namespace bf {

enum class MemoryPlanMode { Default, DisableStaticPlan, ForceStaticPlan };

const char* memory_plan_mode_name(MemoryPlanMode mode);
// Accepts DEFAULT / DISABLE_STATIC_PLAN / FORCE_STATIC_PLAN (any case, '-' or '_');
// throws bf::Error(Usage) otherwise.
MemoryPlanMode parse_memory_plan_mode(const std::string& s);
inline bool is_static(MemoryPlanMode m) { return m != MemoryPlanMode::DisableStaticPlan; }

}  // namespace bf
