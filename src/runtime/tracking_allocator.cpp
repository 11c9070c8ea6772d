#include "runtime/tracking_allocator.h"

#include <algorithm>
#include <cstdlib>

#include "support/error.h"

namespace bf {

void* TrackingAllocator::allocate(std::int64_t bytes) {
  constexpr std::size_t kAlign = 64;
  const auto padded = (static_cast<std::size_t>(std::max<std::int64_t>(bytes, 1)) + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, padded);
  BF_CHECK(p != nullptr, ErrorKind::Internal, "out of memory allocating {} bytes", bytes);
  ++stats_.allocations;
  stats_.live_bytes += bytes;
  stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.live_bytes);
  return p;
}

void TrackingAllocator::release(void* p, std::int64_t bytes) {
  if (!p) return;
  std::free(p);
  ++stats_.releases;
  stats_.live_bytes -= bytes;
}

void TrackingAllocator::reset_counters() {
  stats_.allocations = 0;
  stats_.releases = 0;
  stats_.peak_bytes = stats_.live_bytes;
}

}  // namespace bf
