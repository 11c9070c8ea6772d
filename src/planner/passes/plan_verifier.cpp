#include "planner/passes/plan_verifier.h"

#include <set>

#include "planner/passes/liveness_pass.h"
#include "support/error.h"

namespace bf {
namespace {

void verify_task_graph(const PlanBundle& bundle) {
  const Graph& g = *bundle.graph;
  const TaskGraph& tg = bundle.task_graph;
  const StoragePlan& storage = bundle.storage;
  tg.topological_order();  // throws on a cycle

  // A primal node runs its interval or primal rule once; a plan made from a
  // program (sweeps) may bound some nodes only through their sweeps.
  std::vector<int> covered(g.nodes().size(), 0);
  for (const auto& task : tg.tasks) {
    for (const auto& op : task.ops) {
      const bool per_node = op.kind == TaskOpKind::Interval || op.kind == TaskOpKind::Primal;
      BF_CHECK(op.node >= -1 && op.node < static_cast<NodeId>(covered.size()) && (op.node >= 0 || !per_node),
               ErrorKind::Invalid, "task t{} holds a {} op of unknown node {}", task.id, task_op_kind_name(op.kind),
               op.node);
      if (per_node) ++covered[static_cast<std::size_t>(op.node)];
      for (BufferId b : op.reads) {
        BF_CHECK(b >= 0 && b < storage.num_logical_buffers(), ErrorKind::Invalid, "task t{} reads unknown buffer {}",
                 task.id, b);
      }
      for (BufferId b : op.writes) {
        BF_CHECK(b >= 0 && b < storage.num_logical_buffers(), ErrorKind::Invalid, "task t{} writes unknown buffer {}",
                 task.id, b);
      }
    }
  }
  for (std::size_t n = 0; n < covered.size(); ++n) {
    const bool ok = bundle.sweeps.empty() ? covered[n] == 1 : covered[n] <= 1;
    BF_CHECK(ok, ErrorKind::Invalid, "node '{}' runs its rule in {} tasks (expected {})", g.nodes()[n].name, covered[n],
             bundle.sweeps.empty() ? "exactly one" : "at most one");
  }

  // Which tasks write each buffer, in task order.
  std::map<BufferId, std::vector<TaskId>> writers;
  for (const auto& task : tg.tasks) {
    std::set<BufferId> here;
    for (const auto& op : task.ops) here.insert(op.writes.begin(), op.writes.end());
    for (BufferId b : here) writers[b].push_back(task.id);
  }
  // The task a reader in `dst` depends on: the last one before it writing `b`.
  auto last_writer_before = [&](BufferId b, TaskId dst) {
    TaskId found = -1;
    auto it = writers.find(b);
    if (it == writers.end()) return found;
    for (TaskId t : it->second) {
      if (t < dst) found = t;
    }
    return found;
  };
  for (const auto& e : tg.edges) {
    BF_CHECK(e.src < e.dst, ErrorKind::Invalid, "edge t{}->t{} points backwards in the task order", e.src, e.dst);
    BF_CHECK(last_writer_before(e.buffer, e.dst) == e.src, ErrorKind::Invalid,
             "edge t{}->t{} carries buffer {} which t{} is not the last to write before t{}", e.src, e.dst, e.buffer,
             e.src, e.dst);
  }
  for (const auto& task : tg.tasks) {
    std::set<BufferId> produced_here, read_from_outside;
    for (const auto& op : task.ops) {
      for (BufferId b : op.reads) {
        if (!produced_here.count(b)) read_from_outside.insert(b);
      }
      for (BufferId b : op.writes) produced_here.insert(b);
    }
    std::set<BufferId> declared(task.io.inputs.begin(), task.io.inputs.end());
    BF_CHECK(declared == read_from_outside, ErrorKind::Invalid,
             "task t{}'s contract lists {} input buffers but its ops read {} from outside", task.id, declared.size(),
             read_from_outside.size());
    for (BufferId b : task.io.inputs) {
      const TaskId src = last_writer_before(b, task.id);
      if (src < 0) {
        const BufferScope scope = storage.logical_buffers[static_cast<std::size_t>(b)].scope;
        BF_CHECK(scope == BufferScope::Input || scope == BufferScope::State, ErrorKind::Invalid,
                 "task t{} reads buffer {} that nothing produces", task.id, b);
        continue;
      }
      bool has_edge = false;
      for (const auto& e : tg.edges) has_edge |= e.src == src && e.dst == task.id && e.buffer == b;
      BF_CHECK(has_edge, ErrorKind::Invalid, "task t{} reads buffer {} from t{} without an edge", task.id, b, src);
    }
    for (BufferId b : task.io.outputs) {
      BF_CHECK(produced_here.count(b), ErrorKind::Invalid, "task t{} declares output buffer {} it does not produce",
               task.id, b);
    }
  }
}

void verify_storage(const PlanBundle& bundle) {
  const Graph& g = *bundle.graph;
  const StoragePlan& storage = bundle.storage;
  for (ValueId v : g.inputs()) storage.buffer_of(v);
  if (bundle.sweeps.empty()) {
    for (const auto& node : g.nodes()) {
      for (ValueId v : node.outputs) storage.buffer_of(v);
    }
  }
  BF_CHECK(storage.logical_to_physical.empty() || storage.logical_to_physical.size() == storage.logical_buffers.size(),
           ErrorKind::Invalid, "logical->physical map has {} entries for {} logical buffers",
           storage.logical_to_physical.size(), storage.logical_buffers.size());
  BF_CHECK(!storage.logical_to_physical.empty() || storage.physical_buffers.empty(), ErrorKind::Invalid,
           "physical buffers exist but the logical->physical map is empty");

  const auto occupants = storage.occupants();  // also range-checks the map
  const LivenessInfo live = compute_liveness(bundle);
  for (std::size_t p = 0; p < occupants.size(); ++p) {
    const BufferSpec& phys = storage.physical(static_cast<BufferId>(p));
    for (BufferId l : occupants[p]) {
      const BufferSpec& spec = storage.logical_buffers[static_cast<std::size_t>(l)];
      BF_CHECK(phys.bytes >= spec.bytes, ErrorKind::Invalid, "physical buffer {} ({} bytes) is too small for '{}' ({})",
               p, phys.bytes, spec.name, spec.bytes);
      BF_CHECK(phys.dtype == spec.dtype && phys.device == spec.device, ErrorKind::Invalid,
               "physical buffer {} has another dtype or device than '{}'", p, spec.name);
      const auto& life = live.lifetimes[static_cast<std::size_t>(l)];
      if (life.pinned) {
        BF_CHECK(occupants[p].size() == 1, ErrorKind::Invalid,
                 "graph {} '{}' shares physical buffer {} with another buffer", buffer_scope_name(spec.scope),
                 spec.name, p);
      }
    }
    for (std::size_t i = 0; i < occupants[p].size(); ++i) {
      for (std::size_t j = i + 1; j < occupants[p].size(); ++j) {
        const auto& a = live.lifetimes[static_cast<std::size_t>(occupants[p][i])];
        const auto& b = live.lifetimes[static_cast<std::size_t>(occupants[p][j])];
        BF_CHECK(!a.overlaps(b), ErrorKind::Invalid,
                 "'{}' [ops {}..{}] and '{}' [ops {}..{}] are alive together but share physical buffer {}",
                 storage.logical_buffers[static_cast<std::size_t>(a.buffer)].name, a.live_begin, a.live_end,
                 storage.logical_buffers[static_cast<std::size_t>(b.buffer)].name, b.live_begin, b.live_end, p);
      }
    }
  }
  // Every read follows a write (graph inputs count as written before op 0).
  std::int64_t pos = 0;
  for (const auto& task : bundle.task_graph.tasks) {
    for (const auto& op : task.ops) {
      for (BufferId b : op.reads) {
        const auto& life = live.lifetimes[static_cast<std::size_t>(b)];
        const BufferScope scope = storage.logical_buffers[static_cast<std::size_t>(b)].scope;
        if (scope == BufferScope::State) continue;  // the caller's memory: holds data before any op
        const bool input = scope == BufferScope::Input;
        BF_CHECK(input ? life.producer_op < pos : (life.producer_op >= 0 && life.producer_op < pos), ErrorKind::Invalid,
                 "op {} reads '{}' before it is written (op {})", pos,
                 storage.logical_buffers[static_cast<std::size_t>(b)].name, life.producer_op);
      }
      ++pos;
    }
  }
}

}  // namespace

void verify_plan(const PlanBundle& bundle) {
  BF_CHECK(bundle.graph != nullptr, ErrorKind::Invalid, "plan has no graph");
  verify_task_graph(bundle);
  verify_storage(bundle);
}

}  // namespace bf
