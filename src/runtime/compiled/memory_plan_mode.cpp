#include "runtime/compiled/memory_plan_mode.h"

#include <algorithm>
#include <cctype>

#include "support/error.h"

namespace bf {

const char* memory_plan_mode_name(MemoryPlanMode mode) {
  switch (mode) {
    case MemoryPlanMode::Default:
      return "DEFAULT";
    case MemoryPlanMode::DisableStaticPlan:
      return "DISABLE_STATIC_PLAN";
    case MemoryPlanMode::ForceStaticPlan:
      return "FORCE_STATIC_PLAN";
  }
  return "?";
}

MemoryPlanMode parse_memory_plan_mode(const std::string& s) {
  std::string u = s;
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return c == '-' ? '_' : std::toupper(c); });
  if (u == "DEFAULT") return MemoryPlanMode::Default;
  if (u == "DISABLE_STATIC_PLAN") return MemoryPlanMode::DisableStaticPlan;
  if (u == "FORCE_STATIC_PLAN") return MemoryPlanMode::ForceStaticPlan;
  fail(ErrorKind::Usage, "unknown memory plan mode '{}' (expected DEFAULT, DISABLE_STATIC_PLAN or FORCE_STATIC_PLAN)",
       s);
}

}  // namespace bf
