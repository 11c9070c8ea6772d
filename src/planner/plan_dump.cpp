#include "planner/plan_dump.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "planner/passes/liveness_pass.h"

namespace bf {
namespace {

using nlohmann::json;

json spec_json(const BufferSpec& s) {
  json j{{"id", s.id},
         {"name", s.name},
         {"scope", buffer_scope_name(s.scope)},
         {"dtype", std::string(dtype_name(s.dtype))},
         {"shape", s.shape},
         {"batch", s.batch},
         {"device", s.device},
         {"layout", buffer_layout_name(s.layout)},
         {"strides", s.strides},
         {"alignment", s.alignment},
         {"bytes", s.bytes}};
  if (s.sweep >= 0) j["sweep"] = s.sweep;
  if (s.window.spatial) {
    const LinearWindow& w = s.window;
    j["window"] = {{"value_chw", {w.channels, w.height, w.width}},
                   {"size", {w.win_h, w.win_w}},
                   {"scale", {w.scale_h, w.scale_w}},
                   {"shift", {w.shift_h, w.shift_w}}};
  }
  return j;
}

json lifetime_json(const BufferLifetime& l) {
  return json{{"producer_op", l.producer_op},
              {"last_use_op", l.last_use_op},
              {"producer_task", l.producer_task},
              {"last_use_task", l.last_use_task},
              {"live_begin", l.live_begin},
              {"live_end", l.live_end},
              {"pinned", l.pinned}};
}

LivenessInfo liveness_of(const PlanBundle& b) { return b.liveness ? *b.liveness : compute_liveness(b); }

}  // namespace

std::int64_t param_bytes(const PlanBundle& bundle) {
  std::set<ValueId> params;
  for (const auto& t : bundle.task_graph.tasks) params.insert(t.io.params.begin(), t.io.params.end());
  std::int64_t total = 0;
  for (ValueId v : params) total += static_cast<std::int64_t>(bundle.graph->constant(v).nbytes());
  return total;
}

json reuse_stats_json(const ReuseStats& s) {
  return json{{"policy", s.policy},
              {"hits", s.hits},
              {"misses", s.misses},
              {"grown", s.grown},
              {"miss_reasons", s.miss_reasons},
              {"logical_buffers", s.logical_buffers},
              {"physical_buffers", s.physical_buffers},
              {"logical_bytes", s.logical_bytes},
              {"physical_bytes", s.physical_bytes},
              {"lower_bound_bytes", s.lower_bound_bytes}};
}

json storage_stats_json(const PlanBundle& b) {
  const LivenessInfo live = liveness_of(b);
  return json{
      {"logical_buffers", b.storage.num_logical_buffers()}, {"physical_buffers", b.storage.num_physical_buffers()},
      {"logical_bytes", b.storage.logical_bytes()},         {"physical_bytes", b.storage.physical_bytes()},
      {"lower_bound_bytes", live.lower_bound_bytes},        {"param_bytes", param_bytes(b)}};
}

json plan_to_json(const PlanBundle& b, bool include_timings) {
  const Graph& g = *b.graph;
  const LivenessInfo live = liveness_of(b);
  json tasks = json::array();
  for (const auto& t : b.task_graph.tasks) {
    json ops = json::array();
    for (const auto& op : t.ops) {
      json ins = json::array(), outs = json::array();
      for (ValueId v : op.inputs) ins.push_back(v == kNoValue ? std::string() : g.value(v).name);
      for (ValueId v : op.outputs) outs.push_back(g.value(v).name);
      json j{{"kind", task_op_kind_name(op.kind)},
             {"node", op.node},
             {"name", op.node >= 0 ? g.node(op.node).name : std::string()},
             {"op", op.node >= 0 ? std::string(op_name(op.op)) : std::string()},
             {"inputs", ins},
             {"outputs", outs},
             {"reads", op.reads},
             {"writes", op.writes}};
      if (op.start >= 0) j["sweep"] = op.start;
      ops.push_back(std::move(j));
    }
    json params = json::array();
    for (ValueId v : t.io.params) params.push_back(g.value(v).name);
    json task{{"id", t.id},      {"name", t.name},        {"kind", task_kind_name(t.kind)},
              {"ops", ops},      {"inputs", t.io.inputs}, {"outputs", t.io.outputs},
              {"params", params}};
    if (t.sweep >= 0) task["sweep"] = t.sweep;
    tasks.push_back(std::move(task));
  }
  json sweeps = json::array();
  for (std::size_t i = 0; i < b.sweeps.size(); ++i) {
    const SweepInfo& sw = b.sweeps[i];
    sweeps.push_back({{"id", i},
                      {"value", g.value(sw.value).name},
                      {"rows", sweep_rows_name(sw.rows)},
                      {"row_capacity", sw.row_capacity},
                      {"rows_per_chunk", sw.rows_per_chunk},
                      {"sides", sw.lower && sw.upper ? "both"
                                : sw.lower           ? "lower"
                                                     : "upper"},
                      {"rows_buffer", sw.rows_buffer},
                      {"bias_buffer", sw.bias_buffer},
                      {"task", sw.task}});
  }
  json edges = json::array();
  for (const auto& e : b.task_graph.edges) edges.push_back({{"src", e.src}, {"dst", e.dst}, {"buffer", e.buffer}});

  json logical = json::array();
  for (const auto& s : b.storage.logical_buffers) {
    json j = spec_json(s);
    j["physical"] = b.storage.to_physical(s.id);
    j["lifetime"] = lifetime_json(live.lifetimes[static_cast<std::size_t>(s.id)]);
    logical.push_back(std::move(j));
  }
  json physical = json::array();
  const auto occupants = b.storage.occupants();
  for (BufferId p = 0; p < b.storage.num_physical_buffers(); ++p) {
    json j = spec_json(b.storage.physical(p));
    j["occupants"] = occupants[static_cast<std::size_t>(p)];
    physical.push_back(std::move(j));
  }
  json mapping = json::array();
  for (BufferId l = 0; l < b.storage.num_logical_buffers(); ++l) mapping.push_back(b.storage.to_physical(l));

  json storage = storage_stats_json(b);
  storage["logical"] = logical;
  storage["physical"] = physical;
  storage["logical_to_physical"] = mapping;
  storage["lower_bound_at_op"] = live.lower_bound_at_op;
  storage["live_bytes_per_op"] = live.live_bytes_per_op;

  json out{{"graph", {{"name", g.name}, {"nodes", g.nodes().size()}}},
           {"config", config_to_json(b.config)},
           {"passes", b.passes_run},
           {"task_graph",
            {{"num_tasks", b.task_graph.tasks.size()},
             {"num_edges", b.task_graph.edges.size()},
             {"num_ops", b.task_graph.num_ops()},
             {"tasks", tasks},
             {"edges", edges}}},
           {"sweeps", sweeps},
           {"storage_plan", storage},
           {"reuse_stats", b.reuse_stats ? reuse_stats_json(*b.reuse_stats) : json(nullptr)}};
  if (include_timings) {
    json t = json::array();
    for (const auto& pt : b.timings) t.push_back({{"pass", pt.pass}, {"ms", pt.ms}});
    out["timings_ms"] = t;
  }
  return out;
}

std::string plan_to_text(const PlanBundle& b, bool include_timings) {
  const Graph& g = *b.graph;
  const LivenessInfo live = liveness_of(b);
  const auto& c = b.config;
  std::string out = fmt::format(
      "plan {} planner={} min_tasks={} max_ops_per_task={} policy={} reuse={} domain={} dtype={} batch={}\n", g.name,
      planner_version_name(c.version), c.min_tasks, c.max_ops_per_task, partition_policy_name(c.partition_policy),
      c.enable_storage_reuse ? reuse_policy_name(c.reuse_policy) : "off", plan_domain_name(c.domain),
      dtype_name(c.dtype), c.batch);
  out += fmt::format("passes: {}\n", fmt::join(b.passes_run, ", "));
  out += fmt::format("tasks {}, edges {}, ops {}\n", b.task_graph.tasks.size(), b.task_graph.edges.size(),
                     b.task_graph.num_ops());
  for (const auto& t : b.task_graph.tasks) {
    out += fmt::format("task {} ({}), {} ops{}\n", t.name, task_kind_name(t.kind), t.ops.size(),
                       t.sweep >= 0 ? fmt::format(", sweep s{}", t.sweep) : std::string());
    for (const auto& op : t.ops) {
      if (op.kind == TaskOpKind::Interval || op.kind == TaskOpKind::Primal) {
        out += fmt::format("    {:<18} {}\n", op_name(op.op), g.node(op.node).name);
        continue;
      }
      std::vector<std::string> r, w;
      for (BufferId x : op.reads) r.push_back(fmt::format("b{}", x));
      for (std::size_t i = 0; i < op.writes.size(); ++i) {
        const bool add = i < op.accumulate.size() && op.accumulate[i];
        w.push_back(fmt::format("{}b{}", add ? "+" : "", op.writes[i]));
      }
      const std::string what =
          op.node >= 0 ? fmt::format("{} {}", op_name(op.op), g.node(op.node).name) : std::string();
      out += fmt::format("    {:<10} {:<40} [{}] -> [{}]\n", task_op_kind_name(op.kind), what, fmt::join(r, " "),
                         fmt::join(w, " "));
    }
    std::vector<std::string> ins, outs;
    for (BufferId x : t.io.inputs) ins.push_back(fmt::format("b{}", x));
    for (BufferId x : t.io.outputs) outs.push_back(fmt::format("b{}", x));
    out += fmt::format("  reads  [{}]\n  writes [{}]\n", fmt::join(ins, " "), fmt::join(outs, " "));
  }
  if (!b.sweeps.empty()) {
    out += "sweeps\n";
    for (std::size_t i = 0; i < b.sweeps.size(); ++i) {
      const SweepInfo& sw = b.sweeps[i];
      out += fmt::format("  s{:<3} {:<30} rows {:<8} {} rows, {} per chunk, rows b{} bias b{}, task t{}\n", i,
                         g.value(sw.value).name, sweep_rows_name(sw.rows), sw.row_capacity, sw.rows_per_chunk,
                         sw.rows_buffer, sw.bias_buffer, sw.task);
    }
  }
  out += "edges\n";
  for (const auto& e : b.task_graph.edges) out += fmt::format("  t{} -> t{} via b{}\n", e.src, e.dst, e.buffer);
  out += "logical buffers (lifetime in ops; -> physical)\n";
  for (const auto& s : b.storage.logical_buffers) {
    const auto& l = live.lifetimes[static_cast<std::size_t>(s.id)];
    out +=
        fmt::format("  b{:<4} {:<12} {}{}x{} {:<8} {:>10} B  [{}, {}]{} -> p{}  {}\n", s.id, buffer_scope_name(s.scope),
                    dtype_name(s.dtype), shape_str(s.shape), s.batch, buffer_layout_name(s.layout), s.bytes,
                    l.live_begin, l.live_end, l.pinned ? " pinned" : "", b.storage.to_physical(s.id), s.name);
  }
  const auto occupants = b.storage.occupants();
  out += "physical buffers\n";
  for (BufferId p = 0; p < b.storage.num_physical_buffers(); ++p) {
    const auto& s = b.storage.physical(p);
    std::vector<std::string> occ;
    for (BufferId l : occupants[static_cast<std::size_t>(p)]) occ.push_back(fmt::format("b{}", l));
    out += fmt::format("  p{:<4} {:<8} {:>10} B  holds {}\n", p, buffer_layout_name(s.layout), s.bytes,
                       fmt::join(occ, " "));
  }
  out += "statistics\n";
  out += fmt::format("  logical  buffers {:>5}  bytes {:>12}\n", b.storage.num_logical_buffers(),
                     b.storage.logical_bytes());
  out += fmt::format("  physical buffers {:>5}  bytes {:>12}\n", b.storage.num_physical_buffers(),
                     b.storage.physical_bytes());
  out += fmt::format("  lower bound              bytes {:>12}  (most bytes alive at once, at op {})\n",
                     live.lower_bound_bytes, live.lower_bound_at_op);
  out += fmt::format("  params                   bytes {:>12}\n", param_bytes(b));
  if (b.reuse_stats) {
    const auto& r = *b.reuse_stats;
    std::vector<std::string> reasons;
    for (const auto& [k, v] : r.miss_reasons) reasons.push_back(fmt::format("{} {}", k, v));
    out += fmt::format("  reuse ({}): hits {}  misses {} ({})  grown {}\n", r.policy, r.hits, r.misses,
                       fmt::join(reasons, ", "), r.grown);
  }
  if (include_timings) {
    out += "timings\n";
    for (const auto& t : b.timings) out += fmt::format("  {:<20} {:.3f} ms\n", t.pass, t.ms);
  }
  return out;
}

}  // namespace bf
