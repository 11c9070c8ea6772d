// The run-time environment of a planned execution: storage for every physical
// buffer of a StoragePlan, keyed by physical buffer id. A physical buffer is
// allocated when its first occupant is written and released right after the
// op that last reads its last occupant. Graph inputs and outputs (pinned) are
// allocated up front and held until the caller has read them.
//
// It also checks the plan at run time: reading a logical buffer whose physical
// storage currently holds another value (an aliasing bug) fails loudly.
#pragma once

#include <vector>

#include "planner/plan_bundle.h"
#include "runtime/tracking_allocator.h"

namespace bf {

class BufferEnvironment {
 public:
  BufferEnvironment(const PlanBundle& bundle, TrackingAllocator& allocator);
  ~BufferEnvironment();
  BufferEnvironment(const BufferEnvironment&) = delete;
  BufferEnvironment& operator=(const BufferEnvironment&) = delete;

  // Storage to write logical buffer `l` into (allocating its physical buffer if needed).
  void* write(BufferId l);
  // Storage holding logical buffer `l`, which must have been written and not overwritten.
  const void* read(BufferId l) const;
  // Releases the physical buffers whose lifetime ends at op position `pos`.
  void after_op(std::int64_t pos);
  // Releases everything still held.
  void release_all();

 private:
  struct Slot {
    void* data = nullptr;
    std::int64_t bytes = 0;
    BufferId occupant = -1;
  };
  const PlanBundle& bundle_;
  TrackingAllocator& allocator_;
  std::vector<Slot> slots_;                              // by physical id
  std::vector<std::vector<BufferId>> release_after_op_;  // physical ids, by op position
};

}  // namespace bf
