// Internal to bf_interval_kernels: carving one caller-provided scratch block into
// 64-byte aligned regions. The same ScratchLayout computes the total size at
// construction and the region offsets in run(), so the two always agree.
#pragma once

#include <cstdint>
#include <vector>

#include "support/error.h"

namespace bf::interval_detail {

inline constexpr std::int64_t kScratchAlign = 64;

inline std::int64_t align_up(std::int64_t bytes) { return (bytes + kScratchAlign - 1) / kScratchAlign * kScratchAlign; }

class ScratchLayout {
 public:
  // Appends a region of `bytes` and returns its index.
  int add(std::int64_t bytes) {
    offsets_.push_back(total_);
    total_ += align_up(bytes);
    return static_cast<int>(offsets_.size()) - 1;
  }
  std::int64_t total() const { return total_; }
  std::int64_t offset(int region) const { return offsets_[static_cast<std::size_t>(region)]; }

 private:
  std::vector<std::int64_t> offsets_;
  std::int64_t total_ = 0;
};

// Checks the caller's scratch pointer for a kernel needing `bytes` of it.
inline char* checked_scratch(void* scratch, std::int64_t bytes, const char* kernel) {
  if (bytes == 0) return static_cast<char*>(scratch);
  BF_CHECK(scratch != nullptr, ErrorKind::Internal, "{}: no scratch given ({} bytes needed)", kernel, bytes);
  BF_CHECK(reinterpret_cast<std::uintptr_t>(scratch) % kScratchAlign == 0, ErrorKind::Internal,
           "{}: scratch is not {}-byte aligned", kernel, kScratchAlign);
  return static_cast<char*>(scratch);
}

}  // namespace bf::interval_detail
