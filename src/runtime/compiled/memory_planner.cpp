#include "runtime/compiled/memory_planner.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <tuple>

#include "support/error.h"

namespace bf {

std::int32_t MemoryPlanner::add_buffer(std::int64_t bytes, std::int32_t first_use, std::int32_t last_use) {
  BF_CHECK(bytes >= 0 && first_use <= last_use, ErrorKind::Internal, "bad planned buffer: {} bytes, steps {}..{}",
           bytes, first_use, last_use);
  buffers_.push_back({bytes, first_use, last_use, -1});
  planned_ = false;
  return static_cast<std::int32_t>(buffers_.size() - 1);
}

void MemoryPlanner::plan() {
  if (planned_) return;
  std::vector<PlannedBuffer> aligned = buffers_;
  for (auto& b : aligned) b.bytes = align(b.bytes);
  place(aligned);
  for (std::size_t i = 0; i < buffers_.size(); ++i) buffers_[i].offset = aligned[i].offset;
  planned_ = true;
}

std::int64_t MemoryPlanner::offset(std::int32_t id) {
  plan();
  return buffers_.at(static_cast<std::size_t>(id)).offset;
}

std::int64_t MemoryPlanner::arena_bytes() {
  plan();
  std::int64_t end = 0;
  for (const auto& b : buffers_) end = std::max(end, b.offset + align(b.bytes));
  return end;
}

std::int64_t MemoryPlanner::lower_bound_bytes() const {
  std::int32_t last = 0;
  for (const auto& b : buffers_) last = std::max(last, b.last_use);
  std::vector<std::int64_t> live(static_cast<std::size_t>(last) + 2, 0);
  for (const auto& b : buffers_) {
    live[static_cast<std::size_t>(b.first_use)] += align(b.bytes);
    live[static_cast<std::size_t>(b.last_use) + 1] -= align(b.bytes);
  }
  std::int64_t running = 0, peak = 0;
  for (auto d : live) {
    running += d;
    peak = std::max(peak, running);
  }
  return peak;
}

void MemoryPlanner::check_no_overlap() {
  plan();
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    const auto& a = buffers_[i];
    BF_CHECK(a.offset >= 0 && a.offset % alignment_ == 0, ErrorKind::Internal, "{}: buffer {} at offset {} unaligned",
             name(), i, a.offset);
    for (std::size_t j = i + 1; j < buffers_.size(); ++j) {
      const auto& b = buffers_[j];
      const bool same_time = a.first_use <= b.last_use && b.first_use <= a.last_use;
      const bool same_space = a.offset < b.offset + align(b.bytes) && b.offset < a.offset + align(a.bytes);
      BF_CHECK(!(same_time && same_space && a.bytes > 0 && b.bytes > 0), ErrorKind::Internal,
               "{}: buffers {} and {} are alive together (steps {}..{} / {}..{}) and overlap in the arena", name(), i,
               j, a.first_use, a.last_use, b.first_use, b.last_use);
    }
  }
}

namespace {

// Places buffers in the given order, each at the best-fitting gap among the
// already placed buffers alive at the same time (or after them). Returns the arena size.
std::int64_t place_in_order(std::vector<PlannedBuffer>& buffers, const std::vector<std::size_t>& order) {
  std::vector<std::size_t> placed;
  std::int64_t arena = 0;
  for (std::size_t id : order) {
    PlannedBuffer& cur = buffers[id];
    // Ranges taken by placed buffers alive at the same time, sorted by offset.
    std::vector<std::pair<std::int64_t, std::int64_t>> taken;
    for (std::size_t p : placed) {
      const PlannedBuffer& o = buffers[p];
      if (o.first_use <= cur.last_use && cur.first_use <= o.last_use && o.bytes > 0) {
        taken.emplace_back(o.offset, o.offset + o.bytes);
      }
    }
    std::sort(taken.begin(), taken.end());
    std::int64_t best = -1, best_gap = -1, cursor = 0;
    for (const auto& [start, end] : taken) {
      const std::int64_t gap = start - cursor;
      if (gap >= cur.bytes && (best < 0 || gap < best_gap)) {
        best = cursor;
        best_gap = gap;
      }
      cursor = std::max(cursor, end);
    }
    cur.offset = best >= 0 ? best : cursor;
    arena = std::max(arena, cur.offset + cur.bytes);
    placed.push_back(id);
  }
  return arena;
}

}  // namespace

void GreedyMemoryPlanner::place(std::vector<PlannedBuffer>& buffers) const {
  // Like XLA's heap simulator, try a few orders and keep the smallest arena:
  // largest first (TFLite's greedy), longest-lived first, by size x lifetime, and
  // in order of first use (largest first among equals). Ties then by id: deterministic.
  using Key = std::function<std::tuple<std::int64_t, std::int64_t>(const PlannedBuffer&)>;
  const std::vector<Key> keys = {
      [](const PlannedBuffer& b) { return std::make_tuple(-b.bytes, std::int64_t{b.first_use}); },
      [](const PlannedBuffer& b) { return std::make_tuple(-std::int64_t{b.last_use - b.first_use}, -b.bytes); },
      [](const PlannedBuffer& b) {
        return std::make_tuple(-b.bytes * (std::int64_t{b.last_use - b.first_use} + 1), std::int64_t{b.first_use});
      },
      [](const PlannedBuffer& b) { return std::make_tuple(std::int64_t{b.first_use}, -b.bytes); },
  };
  std::vector<PlannedBuffer> best;
  std::int64_t best_arena = -1;
  for (const Key& key : keys) {
    std::vector<std::size_t> order(buffers.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key(buffers[a]) < key(buffers[b]); });
    std::vector<PlannedBuffer> trial = buffers;
    const std::int64_t arena = place_in_order(trial, order);
    if (best_arena < 0 || arena < best_arena) {
      best_arena = arena;
      best = std::move(trial);
    }
  }
  buffers = std::move(best);
}

void LinearMemoryPlanner::place(std::vector<PlannedBuffer>& buffers) const {
  std::int64_t cursor = 0;
  for (auto& b : buffers) {
    b.offset = cursor;
    cursor += b.bytes;
  }
}

std::unique_ptr<MemoryPlanner> make_memory_planner(const std::string& name, std::int64_t alignment) {
  if (name == "greedy" || name == "greedy_by_size_best_fit") return std::make_unique<GreedyMemoryPlanner>(alignment);
  if (name == "linear" || name == "linear_no_reuse") return std::make_unique<LinearMemoryPlanner>(alignment);
  fail(ErrorKind::Usage, "unknown memory planner '{}' (expected greedy or linear)", name);
}

}  // namespace bf
