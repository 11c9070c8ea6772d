#include "planner/passes/buffer_reuse_pass.h"

#include <algorithm>
#include <numeric>

#include "planner/passes/liveness_pass.h"
#include "support/error.h"

namespace bf {
namespace {

struct Physical {
  BufferSpec spec;
  std::int64_t busy_until = -1;  // live_end of the current occupant
  bool pinned = false;
};

bool size_compatible(const BufferSpec& a, const BufferSpec& b) {
  return a.dtype == b.dtype && a.device == b.device && a.alignment == b.alignment;
}

// Why an exact-key search failed, naming the first field that differs from the
// closest free candidate (for the statistics a user reads to tune reuse).
std::string exact_miss_reason(const BufferSpec& want, const std::vector<const BufferSpec*>& free_specs) {
  if (free_specs.empty()) return "no_free_buffer";
  for (const BufferSpec* f : free_specs) {
    if (f->scope == want.scope && f->dtype == want.dtype && f->layout == want.layout && f->batch == want.batch) {
      return "shape_mismatch";
    }
  }
  for (const BufferSpec* f : free_specs) {
    if (f->scope == want.scope && f->dtype == want.dtype) return "layout_mismatch";
  }
  for (const BufferSpec* f : free_specs) {
    if (f->scope == want.scope) return "dtype_mismatch";
  }
  return "scope_mismatch";
}

}  // namespace

void BufferReusePass::run(PlanBundle& bundle) {
  if (!bundle.liveness) bundle.liveness = compute_liveness(bundle);
  const LivenessInfo& live = *bundle.liveness;
  StoragePlan& storage = bundle.storage;
  const ReusePolicy policy = bundle.config.reuse_policy;

  std::vector<BufferId> order(static_cast<std::size_t>(storage.num_logical_buffers()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](BufferId a, BufferId b) {
    return live.lifetimes[static_cast<std::size_t>(a)].live_begin <
           live.lifetimes[static_cast<std::size_t>(b)].live_begin;
  });

  std::vector<Physical> physical;
  std::vector<BufferId> mapping(order.size(), -1);
  ReuseStats stats;
  stats.policy = reuse_policy_name(policy);

  for (BufferId l : order) {
    const BufferSpec& want = storage.logical_buffers[static_cast<std::size_t>(l)];
    const BufferLifetime& life = live.lifetimes[static_cast<std::size_t>(l)];
    std::vector<std::size_t> free_ids;
    if (!life.pinned) {
      for (std::size_t p = 0; p < physical.size(); ++p) {
        if (!physical[p].pinned && physical[p].busy_until < life.live_begin) free_ids.push_back(p);
      }
    }

    std::int64_t chosen = -1;
    std::string miss;
    if (life.pinned) {
      miss = "pinned_input_output";
    } else if (policy == ReusePolicy::Exact) {
      for (std::size_t p : free_ids) {
        if (same_storage_key(physical[p].spec, want)) {
          chosen = static_cast<std::int64_t>(p);
          break;
        }
      }
      if (chosen < 0) {
        std::vector<const BufferSpec*> specs;
        for (std::size_t p : free_ids) specs.push_back(&physical[p].spec);
        miss = exact_miss_reason(want, specs);
      }
    } else {
      // Best fit: the smallest free buffer that holds `want`; else the largest, grown.
      std::int64_t best_fit = -1, largest = -1;
      for (std::size_t p : free_ids) {
        const BufferSpec& s = physical[p].spec;
        if (!size_compatible(s, want)) continue;
        if (s.bytes >= want.bytes &&
            (best_fit < 0 || s.bytes < physical[static_cast<std::size_t>(best_fit)].spec.bytes)) {
          best_fit = static_cast<std::int64_t>(p);
        }
        if (largest < 0 || s.bytes > physical[static_cast<std::size_t>(largest)].spec.bytes) {
          largest = static_cast<std::int64_t>(p);
        }
      }
      chosen = best_fit >= 0 ? best_fit : largest;
      if (chosen < 0) miss = free_ids.empty() ? "no_free_buffer" : "dtype_mismatch";
    }

    if (chosen >= 0) {
      Physical& p = physical[static_cast<std::size_t>(chosen)];
      if (policy == ReusePolicy::Size && p.spec.bytes < want.bytes) {
        p.spec.bytes = want.bytes;
        p.spec.shape = {want.bytes / static_cast<std::int64_t>(dtype_size(want.dtype))};
        finalize_buffer_spec(p.spec);
        ++stats.grown;
      }
      p.busy_until = life.live_end;
      mapping[static_cast<std::size_t>(l)] = static_cast<BufferId>(chosen);
      ++stats.hits;
    } else {
      Physical p;
      p.spec = want;
      p.pinned = life.pinned;
      p.busy_until = life.live_end;
      if (policy == ReusePolicy::Size && !life.pinned) {
        // A size-policy buffer is raw storage: it may later hold values of other shapes.
        p.spec.layout = BufferLayout::Flat;
        p.spec.shape = {want.bytes / static_cast<std::int64_t>(dtype_size(want.dtype))};
        p.spec.batch = 1;
        finalize_buffer_spec(p.spec);
      }
      mapping[static_cast<std::size_t>(l)] = static_cast<BufferId>(physical.size());
      physical.push_back(std::move(p));
      ++stats.misses;
      ++stats.miss_reasons[miss];
    }
  }

  storage.physical_buffers.clear();
  for (std::size_t p = 0; p < physical.size(); ++p) {
    BufferSpec spec = physical[p].spec;
    spec.id = static_cast<BufferId>(p);
    spec.name = "p" + std::to_string(p);
    storage.physical_buffers.push_back(std::move(spec));
  }
  storage.logical_to_physical = std::move(mapping);

  stats.logical_buffers = storage.num_logical_buffers();
  stats.physical_buffers = storage.num_physical_buffers();
  stats.logical_bytes = storage.logical_bytes();
  stats.physical_bytes = storage.physical_bytes();
  stats.lower_bound_bytes = live.lower_bound_bytes;
  bundle.reuse_stats = std::move(stats);
}

}  // namespace bf
