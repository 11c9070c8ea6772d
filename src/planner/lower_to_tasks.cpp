#include "planner/lower_to_tasks.h"

#include <algorithm>
#include <set>

#include "support/error.h"

namespace bf {
namespace {

BufferSpec spec_for_value(const Graph& g, ValueId v, const PlannerConfig& config, bool exported) {
  BufferSpec spec;
  spec.name = g.value(v).name;
  if (g.is_input(v)) {
    spec.scope = BufferScope::Input;
  } else if (g.is_output(v) || exported) {
    spec.scope = BufferScope::Output;
  } else {
    spec.scope = BufferScope::Intermediate;
  }
  const TensorType& t = g.type(v);
  // Float activations are computed in the plan's dtype (an f32 graph may be bounded in f64).
  spec.dtype = is_floating(t.dtype) ? config.dtype : t.dtype;
  spec.shape = t.shape;
  spec.batch = config.batch;
  spec.layout = config.domain == PlanDomain::Interval ? BufferLayout::Interval : BufferLayout::Plain;
  spec.alignment = config.alignment;
  spec.value = v;
  finalize_buffer_spec(spec);
  return spec;
}

}  // namespace

std::vector<std::int64_t> cut_crossings(const Graph& g) {
  const auto& nodes = g.nodes();
  const std::size_t n = nodes.size();
  // last_reader[v]: last node index reading activation v.
  std::vector<std::int64_t> last_reader(static_cast<std::size_t>(g.num_values()), -1);
  for (std::size_t i = 0; i < n; ++i) {
    for (ValueId v : nodes[i].inputs) {
      if (v != kNoValue && !g.is_constant(v)) last_reader[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(i);
    }
  }
  // A value produced by node p and last read by node r crosses every cut after i for p <= i < r.
  std::vector<std::int64_t> delta(n + 1, 0);
  for (std::size_t p = 0; p < n; ++p) {
    for (ValueId v : nodes[p].outputs) {
      std::int64_t r = last_reader[static_cast<std::size_t>(v)];
      if (r > static_cast<std::int64_t>(p)) {
        delta[p] += 1;
        delta[static_cast<std::size_t>(r)] -= 1;
      }
    }
  }
  std::vector<std::int64_t> crossing(n == 0 ? 0 : n - 1, 0);
  std::int64_t running = 0;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    running += delta[i];
    crossing[i] = running;
  }
  return crossing;
}

void lower_to_tasks(PlanBundle& bundle, const std::vector<NodeId>& segment_starts) {
  const Graph& g = *bundle.graph;
  const auto& nodes = g.nodes();
  const auto n = static_cast<NodeId>(nodes.size());
  BF_ASSERT(n == 0 ? segment_starts.empty() : (!segment_starts.empty() && segment_starts.front() == 0));
  for (std::size_t i = 1; i < segment_starts.size(); ++i) BF_ASSERT(segment_starts[i] > segment_starts[i - 1]);
  BF_ASSERT(segment_starts.empty() || segment_starts.back() < n);

  // Logical buffers: graph inputs first, then node outputs in node order.
  StoragePlan& storage = bundle.storage;
  storage = StoragePlan{};
  // Intermediates the caller asked to keep: inputs of nonlinear activations and pooling.
  std::set<ValueId> exported;
  if (bundle.config.export_intermediates) {
    for (const auto& node : nodes) {
      if (is_nonlinear_activation(node.op) || node.op == OpKind::MaxPool) exported.insert(node.inputs[0]);
    }
  }
  auto add_buffer = [&](ValueId v) {
    if (storage.value_to_buffer.count(v)) return;
    BufferSpec spec = spec_for_value(g, v, bundle.config, exported.count(v) != 0);
    spec.id = static_cast<BufferId>(storage.logical_buffers.size());
    storage.value_to_buffer[v] = spec.id;
    storage.logical_buffers.push_back(std::move(spec));
  };
  for (ValueId v : g.inputs()) add_buffer(v);
  for (const auto& node : nodes) {
    for (ValueId v : node.outputs) add_buffer(v);
  }

  TaskGraph& tg = bundle.task_graph;
  tg = TaskGraph{};
  for (std::size_t s = 0; s < segment_starts.size(); ++s) {
    NodeId begin = segment_starts[s];
    NodeId end = s + 1 < segment_starts.size() ? segment_starts[s + 1] : n;
    Task task;
    task.id = static_cast<TaskId>(s);
    task.kind = bundle.config.domain == PlanDomain::Interval ? TaskKind::Bound : TaskKind::Forward;
    task.name = "t" + std::to_string(s);
    for (NodeId i = begin; i < end; ++i) {
      const Node& node = nodes[static_cast<std::size_t>(i)];
      TaskOp op;
      op.node = i;
      op.op = node.op;
      op.kind = bundle.config.domain == PlanDomain::Interval ? TaskOpKind::Interval : TaskOpKind::Primal;
      op.inputs = node.inputs;
      op.outputs = node.outputs;
      for (ValueId v : node.inputs) {
        if (v != kNoValue && !g.is_constant(v)) op.reads.push_back(storage.buffer_of(v));
      }
      for (ValueId v : node.outputs) op.writes.push_back(storage.buffer_of(v));
      task.ops.push_back(std::move(op));
    }
    tg.tasks.push_back(std::move(task));
  }

  build_task_contracts(bundle);
}

void build_task_contracts(PlanBundle& bundle) {
  const Graph& g = *bundle.graph;
  const StoragePlan& storage = bundle.storage;
  TaskGraph& tg = bundle.task_graph;
  tg.edges.clear();
  // The task that last wrote each buffer so far (tasks run in list order); a
  // reader depends on that one, even when later tasks update the buffer in place.
  std::vector<TaskId> last_writer(storage.logical_buffers.size(), -1);
  for (auto& task : tg.tasks) {
    task.io = TaskIO{};
    std::set<BufferId> seen_inputs, written_here;
    std::set<ValueId> seen_params;
    for (const auto& op : task.ops) {
      for (ValueId v : op.inputs) {
        if (v != kNoValue && g.is_constant(v) && seen_params.insert(v).second) task.io.params.push_back(v);
      }
      for (BufferId b : op.reads) {
        if (written_here.count(b) || !seen_inputs.insert(b).second) continue;
        task.io.inputs.push_back(b);
        const TaskId src = last_writer[static_cast<std::size_t>(b)];
        if (src >= 0) tg.edges.push_back(TaskEdge{src, task.id, b});
      }
      for (BufferId b : op.writes) written_here.insert(b);
    }
    for (BufferId b : written_here) last_writer[static_cast<std::size_t>(b)] = task.id;
  }
  // A task hands on what a later task reads from it, and graph outputs it wrote last.
  std::vector<std::set<BufferId>> handed_on(tg.tasks.size());
  for (const auto& e : tg.edges) handed_on[static_cast<std::size_t>(e.src)].insert(e.buffer);
  for (std::size_t b = 0; b < last_writer.size(); ++b) {
    if (last_writer[b] >= 0 && storage.logical_buffers[b].scope == BufferScope::Output) {
      handed_on[static_cast<std::size_t>(last_writer[b])].insert(static_cast<BufferId>(b));
    }
  }
  for (auto& task : tg.tasks) {
    std::set<BufferId> listed;
    for (const auto& op : task.ops) {
      for (BufferId b : op.writes) {
        if (handed_on[static_cast<std::size_t>(task.id)].count(b) && listed.insert(b).second)
          task.io.outputs.push_back(b);
      }
    }
  }
  std::stable_sort(tg.edges.begin(), tg.edges.end(), [](const TaskEdge& a, const TaskEdge& b) {
    return std::tie(a.src, a.dst, a.buffer) < std::tie(b.src, b.dst, b.buffer);
  });
}

}  // namespace bf
