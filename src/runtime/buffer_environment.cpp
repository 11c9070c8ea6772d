#include "runtime/buffer_environment.h"

#include <algorithm>

#include "planner/passes/liveness_pass.h"
#include "support/error.h"

namespace bf {

BufferEnvironment::BufferEnvironment(const PlanBundle& bundle, TrackingAllocator& allocator)
    : bundle_(bundle), allocator_(allocator) {
  const StoragePlan& s = bundle.storage;
  slots_.resize(static_cast<std::size_t>(s.num_physical_buffers()));
  const LivenessInfo live = bundle.liveness ? *bundle.liveness : compute_liveness(bundle);
  const auto num_ops = static_cast<std::int64_t>(live.schedule.size());
  release_after_op_.resize(static_cast<std::size_t>(num_ops));
  // A physical buffer is free after the last op of its last occupant; pinned ones never (during the run).
  std::vector<std::int64_t> end(slots_.size(), -1);
  for (const auto& life : live.lifetimes) {
    auto& e = end[static_cast<std::size_t>(s.to_physical(life.buffer))];
    e = life.pinned ? num_ops : std::max(e, life.live_end);
  }
  for (std::size_t p = 0; p < end.size(); ++p) {
    if (end[p] >= 0 && end[p] < num_ops)
      release_after_op_[static_cast<std::size_t>(end[p])].push_back(static_cast<BufferId>(p));
  }
  // Pinned buffers (graph inputs and outputs) exist for the whole run, as the
  // liveness analysis assumes: the caller fills inputs before and reads outputs after.
  for (const auto& life : live.lifetimes) {
    if (!life.pinned) continue;
    Slot& slot = slots_[static_cast<std::size_t>(s.to_physical(life.buffer))];
    slot.bytes = s.physical(s.to_physical(life.buffer)).bytes;
    slot.data = allocator_.allocate(slot.bytes);
  }
}

BufferEnvironment::~BufferEnvironment() { release_all(); }

void* BufferEnvironment::write(BufferId l) {
  const BufferId p = bundle_.storage.to_physical(l);
  Slot& slot = slots_[static_cast<std::size_t>(p)];
  if (!slot.data) {
    slot.bytes = bundle_.storage.physical(p).bytes;
    slot.data = allocator_.allocate(slot.bytes);
  }
  slot.occupant = l;
  return slot.data;
}

const void* BufferEnvironment::read(BufferId l) const {
  const BufferId p = bundle_.storage.to_physical(l);
  const Slot& slot = slots_[static_cast<std::size_t>(p)];
  BF_CHECK(slot.data != nullptr && slot.occupant == l, ErrorKind::Internal,
           "buffer '{}' read from physical buffer p{} which holds {} (plan aliasing bug)",
           bundle_.storage.logical_buffers[static_cast<std::size_t>(l)].name, p,
           slot.occupant < 0
               ? std::string("nothing")
               : "'" + bundle_.storage.logical_buffers[static_cast<std::size_t>(slot.occupant)].name + "'");
  return slot.data;
}

void BufferEnvironment::after_op(std::int64_t pos) {
  if (pos < 0 || pos >= static_cast<std::int64_t>(release_after_op_.size())) return;
  for (BufferId p : release_after_op_[static_cast<std::size_t>(pos)]) {
    Slot& slot = slots_[static_cast<std::size_t>(p)];
    allocator_.release(slot.data, slot.bytes);
    slot = Slot{};
  }
}

void BufferEnvironment::release_all() {
  for (auto& slot : slots_) {
    allocator_.release(slot.data, slot.bytes);
    slot = Slot{};
  }
}

}  // namespace bf
