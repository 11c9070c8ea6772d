#include "planner/passes/liveness_pass.h"

#include <algorithm>

#include "support/error.h"

namespace bf {

LivenessInfo compute_liveness(const PlanBundle& bundle) {
  const Graph& g = *bundle.graph;
  const StoragePlan& storage = bundle.storage;
  LivenessInfo info;
  for (const auto& task : bundle.task_graph.tasks) {
    for (std::size_t i = 0; i < task.ops.size(); ++i) info.schedule.push_back({task.id, static_cast<std::int32_t>(i)});
  }
  const auto num_ops = static_cast<std::int64_t>(info.schedule.size());

  info.lifetimes.resize(static_cast<std::size_t>(storage.num_logical_buffers()));
  for (BufferId b = 0; b < storage.num_logical_buffers(); ++b) {
    auto& life = info.lifetimes[static_cast<std::size_t>(b)];
    life.buffer = b;
    const BufferScope scope = storage.logical_buffers[static_cast<std::size_t>(b)].scope;
    life.pinned = scope == BufferScope::Input || scope == BufferScope::Output || scope == BufferScope::State;
  }

  // A buffer is alive from the first op that writes it to the last op that
  // reads or writes it (ops may update a buffer in place: read and write it).
  std::vector<bool> written(info.lifetimes.size(), false);
  std::int64_t pos = 0;
  for (const auto& task : bundle.task_graph.tasks) {
    for (const auto& op : task.ops) {
      for (BufferId b : op.reads) {
        auto& life = info.lifetimes[static_cast<std::size_t>(b)];
        life.last_use_op = std::max(life.last_use_op, pos);
        life.last_use_task = std::max(life.last_use_task, task.id);
      }
      for (BufferId b : op.writes) {
        auto& life = info.lifetimes[static_cast<std::size_t>(b)];
        if (!written[static_cast<std::size_t>(b)]) {
          written[static_cast<std::size_t>(b)] = true;
          life.producer_op = pos;
          life.producer_task = task.id;
        }
        // A value nobody reads still occupies its buffer while its op runs.
        life.last_use_op = std::max(life.last_use_op, pos);
        life.last_use_task = std::max(life.last_use_task, task.id);
      }
      ++pos;
    }
  }
  for (ValueId v : g.inputs()) {
    auto& life = info.lifetimes[static_cast<std::size_t>(storage.buffer_of(v))];
    life.producer_op = -1;
    life.producer_task = -1;
  }
  for (auto& life : info.lifetimes) {
    if (life.pinned) {
      life.live_begin = -1;
      life.live_end = num_ops;
    } else {
      life.live_begin = life.producer_op;
      life.live_end = life.last_use_op;
    }
  }
  // A Sweep task runs its ops once per chunk of rows: a buffer it shares with
  // the rest of the program (made before it and read in it, or made in it and
  // read after it) must hold for every chunk, so it is alive over the whole
  // task. Buffers made and last used inside the task are remade by every chunk.
  pos = 0;
  for (const auto& task : bundle.task_graph.tasks) {
    const std::int64_t first = pos, last = pos + static_cast<std::int64_t>(task.ops.size()) - 1;
    pos = last + 1;
    if (task.kind != TaskKind::Sweep) continue;
    for (const auto& op : task.ops) {
      for (const auto* list : {&op.reads, &op.writes}) {
        for (BufferId b : *list) {
          auto& life = info.lifetimes[static_cast<std::size_t>(b)];
          if (life.pinned || (life.live_begin >= first && life.live_end <= last)) continue;
          life.live_begin = std::min(life.live_begin, first);
          life.live_end = std::max(life.live_end, last);
        }
      }
    }
  }

  // Bytes alive at each op position (a sweep over lifetime start/end events).
  std::vector<std::int64_t> delta(static_cast<std::size_t>(num_ops + 2), 0);
  auto slot = [](std::int64_t p) { return static_cast<std::size_t>(p + 1); };  // position -1 -> slot 0
  for (const auto& life : info.lifetimes) {
    std::int64_t bytes = storage.logical_buffers[static_cast<std::size_t>(life.buffer)].bytes;
    std::int64_t start = std::max<std::int64_t>(life.live_begin, -1);
    std::int64_t end = std::min(life.live_end, num_ops);
    delta[slot(start)] += bytes;
    if (end + 1 <= num_ops) delta[slot(end + 1)] -= bytes;
  }
  std::int64_t live = 0;
  info.live_bytes_per_op.assign(static_cast<std::size_t>(num_ops), 0);
  for (std::int64_t p = -1; p < num_ops; ++p) {
    live += delta[slot(p)];
    if (p >= 0) info.live_bytes_per_op[static_cast<std::size_t>(p)] = live;
    if (live > info.lower_bound_bytes) {
      info.lower_bound_bytes = live;
      info.lower_bound_at_op = p;
    }
  }
  return info;
}

void LivenessPass::run(PlanBundle& bundle) { bundle.liveness = compute_liveness(bundle); }

}  // namespace bf
