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

  std::vector<int> covered(g.nodes().size(), 0);
  for (const auto& task : tg.tasks) {
    for (const auto& op : task.ops) {
      BF_CHECK(op.node >= 0 && static_cast<std::size_t>(op.node) < covered.size(), ErrorKind::Invalid,
               "task t{} holds op of unknown node {}", task.id, op.node);
      ++covered[static_cast<std::size_t>(op.node)];
    }
  }
  for (std::size_t n = 0; n < covered.size(); ++n) {
    BF_CHECK(covered[n] == 1, ErrorKind::Invalid, "node '{}' appears in {} tasks (expected exactly one)",
             g.nodes()[n].name, covered[n]);
  }

  std::map<BufferId, TaskId> producer;
  for (const auto& task : tg.tasks) {
    for (const auto& op : task.ops) {
      for (ValueId v : op.outputs) producer[storage.buffer_of(v)] = task.id;
    }
  }
  for (const auto& e : tg.edges) {
    auto it = producer.find(e.buffer);
    BF_CHECK(it != producer.end() && it->second == e.src, ErrorKind::Invalid,
             "edge t{}->t{} carries buffer {} which t{} does not produce", e.src, e.dst, e.buffer, e.src);
    BF_CHECK(e.src < e.dst, ErrorKind::Invalid, "edge t{}->t{} points backwards in the task order", e.src, e.dst);
  }
  for (const auto& task : tg.tasks) {
    std::set<BufferId> produced_here, read_from_outside;
    for (const auto& op : task.ops) {
      for (ValueId v : op.inputs) {
        if (v == kNoValue || g.is_constant(v)) continue;
        BufferId b = storage.buffer_of(v);
        if (!produced_here.count(b)) read_from_outside.insert(b);
      }
      for (ValueId v : op.outputs) produced_here.insert(storage.buffer_of(v));
    }
    std::set<BufferId> declared(task.io.inputs.begin(), task.io.inputs.end());
    BF_CHECK(declared == read_from_outside, ErrorKind::Invalid,
             "task t{}'s contract lists {} input buffers but its ops read {} from outside", task.id, declared.size(),
             read_from_outside.size());
    for (BufferId b : task.io.inputs) {
      auto it = producer.find(b);
      if (it == producer.end()) {
        BF_CHECK(storage.logical_buffers[static_cast<std::size_t>(b)].scope == BufferScope::Input, ErrorKind::Invalid,
                 "task t{} reads buffer {} that nothing produces", task.id, b);
        continue;
      }
      bool has_edge = false;
      for (const auto& e : tg.edges) has_edge |= e.src == it->second && e.dst == task.id && e.buffer == b;
      BF_CHECK(has_edge, ErrorKind::Invalid, "task t{} reads buffer {} from t{} without an edge", task.id, b,
               it->second);
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
  for (const auto& node : g.nodes()) {
    for (ValueId v : node.outputs) storage.buffer_of(v);
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
  // Every read follows its write.
  std::int64_t pos = 0;
  for (const auto& task : bundle.task_graph.tasks) {
    for (const auto& op : task.ops) {
      for (ValueId v : op.inputs) {
        if (v == kNoValue || g.is_constant(v)) continue;
        const auto& life = live.lifetimes[static_cast<std::size_t>(storage.buffer_of(v))];
        BF_CHECK(life.producer_op < pos, ErrorKind::Invalid, "op {} reads '{}' before it is written (op {})", pos,
                 g.value(v).name, life.producer_op);
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
