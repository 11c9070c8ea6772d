#include "runtime/bound_executor.h"

#include <set>

#include "support/error.h"

namespace bf {

void check_state_bindings(const PlanBundle& plan, std::span<const StateBinding> state) {
  const StoragePlan& s = plan.storage;
  std::set<BufferId> bound;
  for (const auto& b : state) {
    BF_CHECK(b.buffer >= 0 && b.buffer < s.num_logical_buffers() &&
                 s.logical_buffers[static_cast<std::size_t>(b.buffer)].scope == BufferScope::State,
             ErrorKind::Usage, "state binding of buffer {}, which is not a State buffer of the plan", b.buffer);
    BF_CHECK(b.data != nullptr, ErrorKind::Usage, "state binding of '{}' without memory",
             s.logical_buffers[static_cast<std::size_t>(b.buffer)].name);
    BF_CHECK(bound.insert(b.buffer).second, ErrorKind::Usage, "State buffer '{}' bound twice",
             s.logical_buffers[static_cast<std::size_t>(b.buffer)].name);
  }
  for (const auto& spec : s.logical_buffers) {
    BF_CHECK(spec.scope != BufferScope::State || bound.count(spec.id) != 0, ErrorKind::Usage,
             "State buffer '{}' of the plan is not bound", spec.name);
  }
}

}  // namespace bf
