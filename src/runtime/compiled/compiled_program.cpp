#include "runtime/compiled/compiled_program.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "bound/linear/linear_geometry.h"
#include "bound/linear/sweep_steps.h"
#include "support/error.h"
#include "support/timer.h"

namespace bf {
namespace {

MemoryStats task_memory_stats(const LoweredTask& t, MemoryPlanMode mode) {
  MemoryStats m;
  m.lower_bound_bytes = t.lower_bound_bytes;
  for (const auto& u : t.units) {
    if (u.place == MemoryUnit::Place::External) continue;
    ++m.alloc_tensor_count;
    if (!is_static(mode)) {
      m.alloc_storage_total_bytes += u.bytes;
      m.alloc_storage_max_bytes = std::max(m.alloc_storage_max_bytes, u.bytes);
    }
  }
  if (is_static(mode)) {
    m.arena_bytes = t.arena_bytes;
    m.alloc_storage_count = t.arena_bytes > 0 ? 1 : 0;
    m.alloc_storage_total_bytes = m.alloc_storage_max_bytes = t.arena_bytes;
  } else {
    m.alloc_storage_count = m.alloc_tensor_count;
  }
  return m;
}

// No bound step of the task reads a buffer a gradient or score step writes.
bool bounds_read_no_other_purpose(const LoweredTask& lt) {
  std::set<BufferId> others;
  for (const LoweredStep& s : lt.steps) {
    if (step_purpose(s.kind) != StepPurpose::Bounds) others.insert(s.outputs.begin(), s.outputs.end());
  }
  for (const LoweredStep& s : lt.steps) {
    if (step_purpose(s.kind) != StepPurpose::Bounds) continue;
    for (BufferId b : s.inputs) {
      if (others.count(b)) return false;
    }
  }
  return true;
}

}  // namespace

CompiledProgram::CompiledProgram(const PlanBundle& plan, const CompileOptions& options, CompileCache& cache)
    : CompiledProgram(plan, options, cache, nullptr) {}

CompiledProgram::CompiledProgram(const PlanBundle& plan, const CompileOptions& options, CompileCache& cache,
                                 std::vector<std::string>* lowering_dumps)
    : plan_(plan), options_(options), external_(external_physical_buffers(plan)) {
  const char* profile = std::getenv("BF_PROFILE");
  profile_ = profile != nullptr && std::string(profile) == "1";
  BF_CHECK(plan.config.domain != PlanDomain::Primal, ErrorKind::Usage,
           "the compiled executor runs bound plans (interval or linear); this plan is {}",
           plan_domain_name(plan.config.domain));
  check_lowering_passes(options.lowering_passes);
  Stopwatch total;
  stats_.mode = options.mode;
  stats_.lowering_passes = options.lowering_passes;
  stats_.memory_planner = options.memory_planner;
  const std::int64_t hits_before = cache.hits(), misses_before = cache.misses();
  // Prepared data: what kernels own alone, and the shared buffers (counted once).
  std::int64_t own_prepared = 0;
  std::vector<PreparedFloats> shared_prepared;
  for (const auto& task : plan.task_graph.tasks) {
    LoweringContext ctx{plan.graph, &plan, &task, options.mode, options.memory_planner, &external_, lowering_dumps, {}};
    TaskCompileStats ts;
    ts.task = task.id;
    ts.name = task.name;
    ts.key = task_compile_key(ctx, options);
    std::shared_ptr<const LoweredTask> lowered = lowering_dumps == nullptr ? cache.find(ts.key) : nullptr;
    ts.cache_hit = lowered != nullptr;
    if (!lowered) {
      Stopwatch watch;
      try {
        auto fresh = std::make_shared<LoweredTask>(lower_task(ctx, options.lowering_passes));
        for (const auto& op : task.ops) {
          if (op.node < 0) continue;
          for (ValueId v : plan.graph->node(op.node).inputs) {
            if (v != kNoValue && plan.graph->is_constant(v)) fresh->pinned_constants.push_back(plan.graph->constant(v));
          }
        }
        lowered = std::move(fresh);
      } catch (Error& e) {
        throw Error(e.kind(), "compiling task " + task.name + ": " + e.what());
      }
      ts.compile_ms = watch.elapsed_ms();
      cache.insert(ts.key, lowered);
    }
    ts.passes = lowered->pass_timings;
    ts.memory = task_memory_stats(*lowered, options.mode);
    std::vector<PreparedFloats> task_shared;
    std::int64_t own = 0;
    for (const auto& s : lowered->steps) {
      ts.kernels.push_back(s.kernel->name());
      own += s.kernel->prepared_bytes();
      for (auto& f : s.kernel->shared_prepared()) task_shared.push_back(std::move(f));
    }
    ts.prepared_bytes = own + distinct_prepared_bytes(task_shared);
    ts.unplanned_kernels = lowered->unplanned_kernels;
    stats_.tasks_total += ts.memory;
    own_prepared += own;
    shared_prepared.insert(shared_prepared.end(), task_shared.begin(), task_shared.end());
    stats_.workspace_bytes = std::max(stats_.workspace_bytes, lowered->arena_bytes);
    stats_.tasks.push_back(std::move(ts));
    tasks_.push_back(std::move(lowered));
  }
  stats_.prepared_bytes = own_prepared + distinct_prepared_bytes(shared_prepared);
  std::vector<std::int64_t> task_arenas;
  for (const auto& t : tasks_) task_arenas.push_back(t->arena_bytes);
  program_memory_ = std::make_unique<ProgramMemory>(plan, external_, options.mode, options.memory_planner, task_arenas);
  stats_.program = program_memory_->stats();
  if (is_static(options.mode)) {
    // One block holds everything: program buffers and the task arenas.
    stats_.total = stats_.program;
    stats_.total.alloc_tensor_count += stats_.tasks_total.alloc_tensor_count;
  } else {
    stats_.total = stats_.tasks_total;
    stats_.total += stats_.program;
  }
  last_task_parts_separable_ = !tasks_.empty() && bounds_read_no_other_purpose(*tasks_.back());
  stats_.compile_ms = total.elapsed_ms();
  stats_.cache_hits = cache.hits() - hits_before;
  stats_.cache_misses = cache.misses() - misses_before;
}

CompiledProgram::~CompiledProgram() {
  if (program_memory_) program_memory_->release(allocator_);
  if (profile_ && !profile_totals_.empty()) {
    // BF_PROFILE=1: where the time went, by kernel (a development aid).
    std::vector<std::pair<double, std::string>> rows;
    double total = 0.0;
    for (const auto& [name, t] : profile_totals_) {
      rows.emplace_back(t.ms, fmt::format("{:>10.3f} ms {:>8} calls {:>9} rows  {}", t.ms, t.calls, t.rows, name));
      total += t.ms;
    }
    std::sort(rows.rbegin(), rows.rend());
    std::fprintf(stderr, "BF_PROFILE: %.3f ms in kernels\n", total);
    for (const auto& r : rows) std::fprintf(stderr, "  %s\n", r.second.c_str());
  }
}

char* CompiledProgram::unit_base(std::size_t task, const LoweredTask& lt, std::int32_t unit) {
  const MemoryUnit& u = lt.units[static_cast<std::size_t>(unit)];
  switch (u.place) {
    case MemoryUnit::Place::External:
      return program_memory_->buffer(u.physical, allocator_);
    case MemoryUnit::Place::Arena:
      return program_memory_->task_arena(static_cast<TaskId>(task)) + u.offset;
    case MemoryUnit::Place::Dynamic:
      BF_ASSERT(dynamic_[static_cast<std::size_t>(unit)] != nullptr);
      return dynamic_[static_cast<std::size_t>(unit)];
  }
  return nullptr;
}

void CompiledProgram::run_task(std::size_t t) {
  const Task& task = plan_.task_graph.tasks[t];
  if (task.kind != TaskKind::Sweep) {
    run_steps(t, nullptr);
    return;
  }
  // A sweep runs once per chunk of its rows, which its Select wrote before.
  const SweepInfo& sweep = plan_.sweeps.at(static_cast<std::size_t>(task.sweep));
  const StoragePlan& s = plan_.storage;
  SweepRowsView rows(program_memory_->buffer(s.to_physical(sweep.rows_buffer), allocator_), sweep.row_capacity);
  const std::int64_t count = rows.count();
  SweepChunk chunk;
  chunk.batch = plan_.config.batch;
  chunk.row_capacity = sweep.rows_per_chunk;
  chunk.start = start_dims(plan_.graph->type(sweep.value).shape);
  chunk.lower = sweep.lower;
  chunk.upper = sweep.upper;
  for (std::int64_t first = 0; first < count; first += sweep.rows_per_chunk) {
    chunk.rows = std::min(sweep.rows_per_chunk, count - first);
    chunk.neurons = rows.neurons() + first;
    chunk.samples = rows.samples() + first;
    chunk.slots = rows.slots() + first;
    run_steps(t, &chunk);
  }
}

void CompiledProgram::run_steps(std::size_t t, const SweepChunk* chunk) {
  const LoweredTask& lt = *tasks_[t];
  const bool dynamic = !is_static(options_.mode);
  if (dynamic) dynamic_.assign(lt.units.size(), nullptr);
  std::vector<IntervalIn> ins;
  std::vector<IntervalOut> outs;
  for (std::size_t i = 0; i < lt.steps.size(); ++i) {
    const auto step = static_cast<std::int32_t>(i);
    if (dynamic) {
      for (std::size_t u = 0; u < lt.units.size(); ++u) {
        const MemoryUnit& mu = lt.units[u];
        if (mu.place == MemoryUnit::Place::Dynamic && mu.first_step == step) {
          dynamic_[u] = static_cast<char*>(allocator_.allocate(mu.bytes));
        }
      }
    }
    const LoweredStep& s = lt.steps[i];
    if (!dynamic) {
      const StepPurpose purpose = step_purpose(s.kind);
      if ((purpose == StepPurpose::Gradients && !running_parts_.gradients) ||
          (purpose == StepPurpose::Scores && !running_parts_.scores))
        continue;
    }
    ins.clear();
    outs.clear();
    for (BufferId b : s.inputs) {
      char* base = unit_base(t, lt, lt.unit_of_buffer.at(b));
      ins.push_back({base, base + lt.plane_bytes.at(b)});
    }
    for (BufferId b : s.outputs) {
      char* base = unit_base(t, lt, lt.unit_of_buffer.at(b));
      outs.push_back({base, base + lt.plane_bytes.at(b)});
    }
    const std::int32_t su = lt.scratch_unit[i];
    KernelIO io{ins, outs, su >= 0 ? unit_base(t, lt, su) : nullptr, chunk};
    if (profile_) {
      Stopwatch w;
      s.kernel->run(io);
      ProfileTotal& pt = profile_totals_[s.kernel->name()];
      pt.ms += w.elapsed_ms();
      ++pt.calls;
      if (chunk != nullptr) pt.rows += chunk->rows;
    } else {
      s.kernel->run(io);
    }
    if (dynamic) {
      for (std::size_t u = 0; u < lt.units.size(); ++u) {
        const MemoryUnit& mu = lt.units[u];
        if (mu.place == MemoryUnit::Place::Dynamic && mu.last_step == step) {
          allocator_.release(dynamic_[u], mu.bytes);
          dynamic_[u] = nullptr;
        }
      }
    }
  }
}

std::vector<OutputBounds> CompiledProgram::run_bounds(const InputRegion& region, CompiledRunStats* stats) {
  BoundRunResult r = run(region);
  if (stats) *stats = r.stats;
  return std::move(r.outputs);
}

BoundRunResult CompiledProgram::run(const InputRegion& region, std::span<const StateBinding> state) {
  const Graph& g = *plan_.graph;
  const StoragePlan& s = plan_.storage;
  BF_CHECK(g.inputs().size() == 1, ErrorKind::Unsupported, "bounds need a single-input graph, this one has {}",
           g.inputs().size());
  BF_CHECK(region.dtype == plan_.config.dtype && region.batch == plan_.config.batch, ErrorKind::Usage,
           "input region is {} x{} but the program was compiled for {} x{}", dtype_name(region.dtype), region.batch,
           dtype_name(plan_.config.dtype), plan_.config.batch);
  check_region(region);
  check_state_bindings(plan_, state);
  const ValueId x = g.inputs()[0];
  BF_CHECK(region.lower.dtype() == plan_.config.dtype && region.upper.dtype() == plan_.config.dtype &&
               region.lower.numel() == plan_.config.batch * g.type(x).numel(),
           ErrorKind::Shape, "input region holds {} {} values per plane, the program expects {} {}",
           region.lower.numel(), dtype_name(region.lower.dtype()), plan_.config.batch * g.type(x).numel(),
           dtype_name(plan_.config.dtype));
  Stopwatch watch;
  arena_holds_last_run_ = false;
  allocator_.reset_counters();
  program_memory_->begin_run(allocator_);
  const BufferId xb = s.buffer_of(x);
  char* xin = program_memory_->buffer(s.to_physical(xb), allocator_);
  std::memcpy(xin, region.lower.raw_data(), region.lower.nbytes());
  std::memcpy(xin + s.logical_buffers[static_cast<std::size_t>(xb)].plane_bytes(), region.upper.raw_data(),
              region.upper.nbytes());
  bind_state(state);
  // Direct State bindings hold for this run only, whatever happens in it.
  struct Unbind {
    ProgramMemory* memory;
    ~Unbind() { memory->unbind_all(); }
  } unbind{program_memory_.get()};
  for (std::size_t t = 0; t < tasks_.size(); ++t) {
    run_task(t);
    program_memory_->after_task(static_cast<TaskId>(t), allocator_);
  }
  BoundRunResult result = exported_bounds(plan_, [&](BufferId b) {
    return static_cast<const char*>(program_memory_->buffer(s.to_physical(b), allocator_));
  });
  copy_state_out(state);
  program_memory_->end_run(allocator_);
  arena_holds_last_run_ = is_static(options_.mode);
  result.stats.memory = allocator_.stats();
  result.stats.run_ms = watch.elapsed_ms();
  return result;
}

BoundRunResult CompiledProgram::rerun_last_task(std::span<const StateBinding> state, RerunParts parts) {
  BF_CHECK(arena_holds_last_run_ && !tasks_.empty(), ErrorKind::Internal,
           "rerun_last_task: needs a static memory plan and a completed run");
  struct Parts {
    RerunParts& running;
    ~Parts() { running = RerunParts{}; }
  } every_step_after{running_parts_};
  if (last_task_parts_separable_) running_parts_ = parts;
  check_state_bindings(plan_, state);
  const StoragePlan& s = plan_.storage;
  Stopwatch watch;
  arena_holds_last_run_ = false;
  allocator_.reset_counters();
  program_memory_->begin_run(allocator_);
  bind_state(state);
  struct Unbind {
    ProgramMemory* memory;
    ~Unbind() { memory->unbind_all(); }
  } unbind{program_memory_.get()};
  run_task(tasks_.size() - 1);
  BoundRunResult result = exported_bounds(plan_, [&](BufferId b) {
    return static_cast<const char*>(program_memory_->buffer(s.to_physical(b), allocator_));
  });
  copy_state_out(state);
  program_memory_->end_run(allocator_);
  arena_holds_last_run_ = true;
  result.stats.memory = allocator_.stats();
  result.stats.run_ms = watch.elapsed_ms();
  return result;
}

void CompiledProgram::bind_state(std::span<const StateBinding> state) {
  const StoragePlan& s = plan_.storage;
  for (const auto& sb : state) {
    if (sb.direct) {
      program_memory_->bind(s.to_physical(sb.buffer), static_cast<char*>(sb.data));
      continue;
    }
    char* p = program_memory_->buffer(s.to_physical(sb.buffer), allocator_);
    const BufferSpec& sp = s.logical_buffers[static_cast<std::size_t>(sb.buffer)];
    const auto bytes = static_cast<std::size_t>(layout_planes(sp.layout) * sp.plane_bytes());
    if (sb.in) {
      std::memcpy(p, sb.data, bytes);
    } else {
      std::memset(p, 0, bytes);
    }
  }
}

void CompiledProgram::copy_state_out(std::span<const StateBinding> state) {
  const StoragePlan& s = plan_.storage;
  for (const auto& sb : state) {
    if (!sb.out || sb.direct) continue;
    const BufferSpec& sp = s.logical_buffers[static_cast<std::size_t>(sb.buffer)];
    std::memcpy(sb.data, program_memory_->buffer(s.to_physical(sb.buffer), allocator_),
                static_cast<std::size_t>(layout_planes(sp.layout) * sp.plane_bytes()));
  }
}

nlohmann::json memory_stats_json(const MemoryStats& m) {
  return nlohmann::json{{"alloc_storage_count", m.alloc_storage_count},
                        {"alloc_tensor_count", m.alloc_tensor_count},
                        {"alloc_storage_total_bytes", m.alloc_storage_total_bytes},
                        {"alloc_storage_max_bytes", m.alloc_storage_max_bytes},
                        {"arena_bytes", m.arena_bytes},
                        {"lower_bound_bytes", m.lower_bound_bytes}};
}

nlohmann::json compile_stats_json(const CompileStats& s, bool include_timings) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& t : s.tasks) {
    nlohmann::json j{{"task", t.task},
                     {"name", t.name},
                     {"memory_plan_mode", memory_plan_mode_name(s.mode)},
                     {"memory_stats", memory_stats_json(t.memory)},
                     {"kernels", t.kernels},
                     {"unplanned_kernels", t.unplanned_kernels},
                     {"prepared_bytes", t.prepared_bytes}};
    if (include_timings) {
      // Run-specific: the key holds the weights' addresses, and hits depend on what ran before.
      j["cache_key"] = fmt::format("{:016x}", t.key);
      j["compile_ms"] = t.compile_ms;
      j["cache_hit"] = t.cache_hit;
      nlohmann::json passes = nlohmann::json::array();
      for (const auto& p : t.passes) passes.push_back({{"pass", p.pass}, {"ms", p.ms}});
      j["pass_ms"] = passes;
    }
    tasks.push_back(std::move(j));
  }
  nlohmann::json out{{"memory_plan_mode", memory_plan_mode_name(s.mode)},
                     {"lowering_passes", s.lowering_passes},
                     {"memory_planner", s.memory_planner},
                     {"memory_stats", memory_stats_json(s.tasks_total)},
                     {"program_memory_stats", memory_stats_json(s.program)},
                     {"total_memory_stats", memory_stats_json(s.total)},
                     {"workspace_bytes", s.workspace_bytes},
                     {"tasks", tasks}};
  if (include_timings) {
    out["compile_ms"] = s.compile_ms;
    out["cache"] = {{"hits", s.cache_hits}, {"misses", s.cache_misses}};
  }
  return out;
}

nlohmann::json CompiledProgram::describe() const {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t t = 0; t < tasks_.size(); ++t) {
    const LoweredTask& lt = *tasks_[t];
    nlohmann::json steps = nlohmann::json::array();
    for (std::size_t i = 0; i < lt.steps.size(); ++i) {
      const auto& s = lt.steps[i];
      nlohmann::json ops = nlohmann::json::array();
      for (auto o : s.ops) {
        const TaskOp& op = plan_.task_graph.tasks[t].ops[static_cast<std::size_t>(o)];
        ops.push_back(op.node >= 0 ? plan_.graph->node(op.node).name : std::string(task_op_kind_name(op.kind)));
      }
      steps.push_back({{"kind", step_kind_name(s.kind)},
                       {"kernel", s.kernel->name()},
                       {"ops", ops},
                       {"scratch_bytes", s.kernel->scratch_bytes()}});
    }
    nlohmann::json units = nlohmann::json::array();
    for (const auto& u : lt.units) {
      const char* place = u.place == MemoryUnit::Place::External ? "program"
                          : u.place == MemoryUnit::Place::Arena  ? "arena"
                                                                 : "dynamic";
      nlohmann::json j{
          {"place", place}, {"bytes", u.bytes}, {"steps", {u.first_step, u.last_step}}, {"holds", u.label}};
      if (u.place == MemoryUnit::Place::Arena) j["offset"] = u.offset;
      if (u.place == MemoryUnit::Place::External) j["physical"] = u.physical;
      units.push_back(std::move(j));
    }
    out.push_back({{"task", plan_.task_graph.tasks[t].name},
                   {"steps", steps},
                   {"units", units},
                   {"arena_bytes", lt.arena_bytes},
                   {"lower_bound_bytes", lt.lower_bound_bytes}});
  }
  return out;
}

}  // namespace bf

namespace bf {

std::string compiled_to_text(const CompiledProgram& program) {
  const CompileStats& st = program.compile_stats();
  const nlohmann::json tasks = program.describe();
  std::string out = fmt::format("compiled  memory_plan_mode={}  memory_planner={}\n  lowering passes: {}\n",
                                memory_plan_mode_name(st.mode), st.memory_planner, fmt::join(st.lowering_passes, ", "));
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const auto& task = tasks[t];
    out += fmt::format("task {}: arena {} B, lower bound {} B\n", task["task"].get<std::string>(),
                       task["arena_bytes"].get<std::int64_t>(), task["lower_bound_bytes"].get<std::int64_t>());
    for (std::size_t i = 0; i < task["steps"].size(); ++i) {
      const auto& s = task["steps"][i];
      std::vector<std::string> ops = s["ops"].get<std::vector<std::string>>();
      out += fmt::format("  step {:<2} {:<44} {:<24} scratch {} B\n", i, s["kernel"].get<std::string>(),
                         fmt::format("{}", fmt::join(ops, ", ")), s["scratch_bytes"].get<std::int64_t>());
    }
    for (const auto& u : task["units"]) {
      const std::string place = u["place"].get<std::string>();
      std::string where = place == "arena"     ? fmt::format("arena @{}", u["offset"].get<std::int64_t>())
                          : place == "program" ? fmt::format("program p{}", u["physical"].get<std::int64_t>())
                                               : std::string("dynamic");
      out += fmt::format("    {:<16} {:>10} B  steps {}..{}  {}\n", where, u["bytes"].get<std::int64_t>(),
                         u["steps"][0].get<int>(), u["steps"][1].get<int>(), u["holds"].get<std::string>());
    }
    if (!st.tasks[t].unplanned_kernels.empty()) {
      out += fmt::format("  not statically plannable: {}\n", fmt::join(st.tasks[t].unplanned_kernels, "; "));
    }
  }
  auto line = [](const char* what, const MemoryStats& m) {
    return fmt::format(
        "  {:<14} storage blocks {:>3}  tensors {:>3}  total {:>10} B  max {:>10} B  arena {:>10} B  "
        "lower bound {:>10} B\n",
        what, m.alloc_storage_count, m.alloc_tensor_count, m.alloc_storage_total_bytes, m.alloc_storage_max_bytes,
        m.arena_bytes, m.lower_bound_bytes);
  };
  out += "memory\n" + line("tasks (summed)", st.tasks_total) + line("program", st.program) + line("total", st.total);
  out += fmt::format("  largest task arena: {} B (task arenas share the program arena: a task's lives while it runs)\n",
                     st.workspace_bytes);
  return out;
}

}  // namespace bf
