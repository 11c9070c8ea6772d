// The executors' own allocator: 64-byte aligned blocks, counted. Every buffer
// an executor allocates goes through one of these, so "allocations per run"
// and "peak bytes" are measured, not estimated.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bf {

struct AllocatorStats {
  std::int64_t allocations = 0;
  std::int64_t releases = 0;
  std::int64_t live_bytes = 0;
  std::int64_t peak_bytes = 0;
};

class TrackingAllocator {
 public:
  TrackingAllocator() = default;
  TrackingAllocator(const TrackingAllocator&) = delete;
  TrackingAllocator& operator=(const TrackingAllocator&) = delete;

  void* allocate(std::int64_t bytes);
  void release(void* p, std::int64_t bytes);

  const AllocatorStats& stats() const { return stats_; }
  // Restarts the counters (live bytes stay: what is held is still held).
  void reset_counters();

 private:
  AllocatorStats stats_;
};

}  // namespace bf
