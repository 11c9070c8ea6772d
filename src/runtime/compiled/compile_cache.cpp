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
  h.add(std::string_view("ibp"));  // the method
  h.add(plan.config.dtype).add(plan.config.batch).add(plan.config.domain);
  h.add(plan.config.enable_storage_reuse).add(plan.config.reuse_policy);
  h.add(options.mode).add(std::string_view(options.memory_planner));
  // The affine kernel picks its variant from the thread count at construction.
  h.add(omp_get_max_threads());
  h.add(static_cast<std::uint64_t>(options.lowering_passes.size()));
  for (const auto& p : options.lowering_passes) h.add(std::string_view(p));

  std::set<ValueId> touched;
  for (const auto& op : ctx.task->ops) {
    const Node& node = g.node(op.node);
    h.add(node.op).add(std::string_view(format_attributes(node.attrs)));
    h.add(static_cast<std::uint64_t>(op.inputs.size()));
    for (ValueId v : op.inputs) {
      h.add(v);
      if (v == kNoValue) continue;
      add_type(h, g.type(v));
      if (g.is_constant(v)) {
        // Weights by identity: the storage they live in (kept alive by the graph
        // the compiled task holds), plus dtype and shape.
        const Tensor& t = g.constant(v);
        h.add(reinterpret_cast<std::uintptr_t>(t.raw_data())).add(t.dtype()).add(t.shape());
      } else {
        touched.insert(v);
      }
    }
    for (ValueId v : op.outputs) {
      h.add(v);
      add_type(h, g.type(v));
      touched.insert(v);
    }
  }
  // Where the values live: program buffer or not, and which values share storage.
  const auto occupants = storage.occupants();
  for (ValueId v : touched) {
    const BufferId l = storage.buffer_of(v);
    const BufferId p = storage.to_physical(l);
    h.add(v).add(l).add(p).add((*ctx.external_physical)[static_cast<std::size_t>(p)]);
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
