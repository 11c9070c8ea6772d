// Everything that changes the code or the memory of a compiled task. All of it
// is part of the compile-cache key.
#pragma once

#include <string>
#include <vector>

#include "runtime/compiled/lowering_passes.h"
#include "runtime/compiled/memory_plan_mode.h"

namespace bf {

struct CompileOptions {
  MemoryPlanMode mode = MemoryPlanMode::Default;
  std::vector<std::string> lowering_passes = default_lowering_passes();
  std::string memory_planner = "greedy";  // greedy | linear (no reuse, for comparison)
};

}  // namespace bf
