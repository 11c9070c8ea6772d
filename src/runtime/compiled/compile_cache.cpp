#include "runtime/compiled/compile_cache.h"

#include <omp.h>

#include <set>

#include "support/hash.h"

namespace bf {
namespace {

void add_type(Hasher& h, const TensorType& t) { h.add(t.dtype).add(t.shape); }

}  // namespace

std::uint64_t task_compile_key(const LoweringContext& ctx, const CompileOptions& options) {
  const Graph& g = *ctx.graph;
  const PlanBundle& plan = *ctx.plan;
  const StoragePlan& storage = plan.storage;
  Hasher h;
  h.add(plan.config.dtype).add(plan.config.batch).add(plan.config.domain);
  h.add(plan.config.enable_storage_reuse).add(plan.config.reuse_policy).add(plan.config.sound_fp);
  h.add(plan.config.batch_account);
  h.add(options.mode).add(std::string_view(options.memory_planner));
  // The affine kernel picks its variant from the thread count at construction.
  h.add(omp_get_max_threads());
  h.add(static_cast<std::uint64_t>(options.lowering_passes.size()));
  for (const auto& p : options.lowering_passes) h.add(std::string_view(p));
  // A sweep task: its rows and sides.
  if (ctx.task->sweep >= 0) {
    const SweepInfo& sw = plan.sweeps.at(static_cast<std::size_t>(ctx.task->sweep));
    h.add(sw.value).add(sw.rows).add(sw.row_capacity).add(sw.rows_per_chunk).add(sw.lower).add(sw.upper);
  }

  std::set<BufferId> touched;
  for (const auto& op : ctx.task->ops) {
    // What the op does: its kind, its sweep, and its node's op, attributes and operands.
    h.add(op.kind).add(op.start).add(op.node);
    if (op.node >= 0) {
      const Node& node = g.node(op.node);
      h.add(node.op).add(std::string_view(format_attributes(node.attrs)));
      h.add(static_cast<std::uint64_t>(node.inputs.size()));
      for (ValueId v : node.inputs) {
        h.add(v);
        if (v == kNoValue) continue;
        add_type(h, g.type(v));
        if (g.is_constant(v)) {
          // Weights by identity: the storage they live in (kept alive by the
          // compiled task, which pins them), plus dtype and shape.
          const Tensor& t = g.constant(v);
          h.add(reinterpret_cast<std::uintptr_t>(t.raw_data())).add(t.dtype()).add(t.shape());
        }
      }
      for (ValueId v : node.outputs) add_type(h, g.type(v));
    }
    h.add(op.reads).add(op.writes);
    for (bool a : op.accumulate) h.add(a);
    touched.insert(op.reads.begin(), op.reads.end());
    touched.insert(op.writes.begin(), op.writes.end());
  }
  // Where the buffers live: their layout, program buffer or not, and which share storage.
  const auto occupants = storage.occupants();
  for (BufferId l : touched) {
    const BufferSpec& spec = storage.logical_buffers[static_cast<std::size_t>(l)];
    const BufferId p = storage.to_physical(l);
    h.add(l).add(p).add((*ctx.external_physical)[static_cast<std::size_t>(p)]);
    h.add(spec.layout).add(spec.dtype).add(spec.shape).add(spec.batch).add(spec.value).add(spec.sweep);
    const LinearWindow& w = spec.window;
    h.add(w.spatial).add(w.channels).add(w.height).add(w.width).add(w.win_h).add(w.win_w);
    h.add(w.scale_h).add(w.shift_h).add(w.scale_w).add(w.shift_w);
    h.add(occupants[static_cast<std::size_t>(p)]);
  }
  h.add(ctx.task->io.outputs);
  return h.digest();
}

std::shared_ptr<const LoweredTask> CompileCache::find(std::uint64_t key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return it->second;
}

void CompileCache::insert(std::uint64_t key, std::shared_ptr<const LoweredTask> task) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[key] = std::move(task);
}

void CompileCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
  hits_ = misses_ = 0;
}

CompileCache& CompileCache::global() {
  static CompileCache cache;
  return cache;
}

}  // namespace bf
