// Static memory planning inside one compiled task, in the manner of TFLite
// Micro's planner interface: add buffers with their sizes and lifetimes (in
// kernel steps), ask for offsets into one arena. Two planners sit behind the
// interface: a greedy one (buffers taken in a heuristic order, each placed in
// the smallest gap that fits among the buffers alive at the same time: best
// fit; like XLA's heap simulator it tries several orders - largest first as
// TFLite does, longest-lived first, size x lifetime - and keeps the smallest
// arena) and a no-reuse one (back to back) to compare against. Either can
// check its own result for overlaps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bf {

struct PlannedBuffer {
  std::int64_t bytes = 0;
  std::int32_t first_use = 0;  // first step that touches it
  std::int32_t last_use = 0;   // last step that touches it (inclusive)
  std::int64_t offset = -1;    // filled by plan()
};

class MemoryPlanner {
 public:
  explicit MemoryPlanner(std::int64_t alignment = 64) : alignment_(alignment) {}
  virtual ~MemoryPlanner() = default;

  // Returns the buffer's id.
  std::int32_t add_buffer(std::int64_t bytes, std::int32_t first_use, std::int32_t last_use);
  // Computes every offset (idempotent; adding a buffer invalidates the plan).
  void plan();
  std::int64_t offset(std::int32_t id);
  std::int64_t arena_bytes();
  // The most bytes alive at one step: no arena can be smaller.
  std::int64_t lower_bound_bytes() const;
  const std::vector<PlannedBuffer>& buffers() const { return buffers_; }
  virtual std::string name() const = 0;

  // Throws bf::Error(Internal) if two buffers alive at the same step overlap in
  // the arena or a buffer is misaligned: the planner's self-check.
  void check_no_overlap();

 protected:
  virtual void place(std::vector<PlannedBuffer>& buffers) const = 0;
  std::int64_t align(std::int64_t bytes) const { return (bytes + alignment_ - 1) / alignment_ * alignment_; }

 private:
  std::int64_t alignment_;
  std::vector<PlannedBuffer> buffers_;
  bool planned_ = false;
};

// Best-fit gaps, the best of several placement orders.
class GreedyMemoryPlanner final : public MemoryPlanner {
 public:
  using MemoryPlanner::MemoryPlanner;
  std::string name() const override { return "greedy_by_size_best_fit"; }

 protected:
  void place(std::vector<PlannedBuffer>& buffers) const override;
};

// No reuse: every buffer gets its own range (the baseline, and a debugging aid).
class LinearMemoryPlanner final : public MemoryPlanner {
 public:
  using MemoryPlanner::MemoryPlanner;
  std::string name() const override { return "linear_no_reuse"; }

 protected:
  void place(std::vector<PlannedBuffer>& buffers) const override;
};

std::unique_ptr<MemoryPlanner> make_memory_planner(const std::string& name, std::int64_t alignment = 64);

}  // namespace bf
