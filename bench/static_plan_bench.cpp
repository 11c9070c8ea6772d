#include "static_plan_bench.h"

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "frontend/onnx/onnx_importer.h"
#include "methods/bound_method.h"
#include "planner/plan_dump.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "support/timer.h"
#include "transform/normalize.h"

namespace bf::bench {
namespace {

using nlohmann::json;

json planner_json(const PlanBundle& plan) {
  json timings = json::object();
  for (const auto& t : plan.timings) timings[t.pass] = t.ms;
  json storage = storage_stats_json(plan);
  return json{{"num_tasks", plan.task_graph.tasks.size()},
              {"num_edges", plan.task_graph.edges.size()},
              {"storage_plan",
               {{"logical_buffers", storage["logical_buffers"]},
                {"physical_buffers", storage["physical_buffers"]},
                {"logical_bytes", storage["logical_bytes"]},
                {"physical_bytes", storage["physical_bytes"]},
                {"lower_bound_bytes", storage["lower_bound_bytes"]}}},
              {"reuse_stats", plan.reuse_stats ? reuse_stats_json(*plan.reuse_stats) : json(nullptr)},
              {"timings_ms", timings},
              {"config_dump", config_to_json(plan.config)}};
}

}  // namespace

json run_static_plan_bench(const StaticPlanBenchOptions& o) {
  json results = json::array();
  for (const auto& path : o.models) {
    auto graph = std::make_shared<Graph>(import_onnx(path));
    normalize(*graph);
    const InputRegion region = bench_region(*graph, o.batch, o.eps, o.input_file, 1234);

    const auto method = make_bound_method(o.method);
    BoundRequest base;
    base.graph = graph;
    base.region = region;
    base.planner.min_tasks = o.min_tasks;

    // The reference bounds every quadrant is checked against.
    BoundRequest ref_req = base;
    ref_req.executor = ExecutorKind::Reference;
    Stopwatch ref_watch;
    const BoundResult reference = method->compute(ref_req);
    const double reference_ms = ref_watch.elapsed_ms();

    for (bool reuse : {false, true}) {
      for (bool static_plan : {false, true}) {
        BoundRequest req = base;
        req.planner.enable_storage_reuse = reuse;
        if (reuse) req.planner.reuse_policy = parse_reuse_policy(o.reuse_policy);
        req.compile.mode = static_plan ? MemoryPlanMode::Default : MemoryPlanMode::DisableStaticPlan;
        CompileCache cache;  // fresh: compile_ms is a real compile
        req.cache = &cache;
        const auto prepared = method->prepare(req);
        const PlanBundle& plan = prepared->plan();
        const CompiledProgram& program = *prepared->program();
        std::vector<OutputBounds> bounds;
        BoundRunStats stats;
        for (int i = 0; i < o.warmup; ++i) {
          BoundResult r = prepared->run(region);
          bounds = std::move(r.outputs);
          stats = r.stats;
        }
        std::vector<double> times;
        for (int i = 0; i < o.iters; ++i) {
          Stopwatch w;
          BoundResult r = prepared->run(region);
          times.push_back(w.elapsed_ms());
          bounds = std::move(r.outputs);
          stats = r.stats;
        }
        const TimingSummary t = summarize(times);
        const Difference d = bound_difference(reference.outputs, bounds);
        const CompileStats& cs = program.compile_stats();
        json entry{{"model", model_label(path)},
                   {"model_path", path},
                   {"quadrant",
                    {{"planner_reuse", reuse ? o.reuse_policy : std::string("off")}, {"static_plan", static_plan}}},
                   {"method", o.method},
                   {"batch", o.batch},
                   {"threads", o.threads},
                   {"planner", planner_json(plan)},
                   {"backend",
                    {{"memory_plan_mode", memory_plan_mode_name(cs.mode)},
                     {"memory_stats", memory_stats_json(cs.tasks_total)},
                     {"program_memory_stats", memory_stats_json(cs.program)},
                     {"total_memory_stats", memory_stats_json(cs.total)},
                     {"workspace_bytes", cs.workspace_bytes},
                     {"lowering_passes", cs.lowering_passes},
                     {"compile_ms", cs.compile_ms}}},
                   {"runtime",
                    {{"run_ms_avg", t.avg_ms},
                     {"run_ms_p50", t.p50_ms},
                     {"run_ms_p95", t.p95_ms},
                     {"peak_bytes", stats.memory.peak_bytes},
                     {"allocs_per_run", stats.memory.allocations},
                     {"warmup", o.warmup},
                     {"iters", o.iters}}},
                   {"correctness",
                    {{"max_abs_diff", d.max_abs},
                     {"max_rel_diff", d.max_rel},
                     {"tolerance_ratio", d.tolerance_ratio},
                     {"reference_run_ms", reference_ms}}}};
        if (o.progress) {
          std::fprintf(stderr, "bench: %s reuse=%s static=%s  p50 %.4f ms  peak %lld B  allocs/run %lld\n",
                       model_label(path).c_str(), reuse ? o.reuse_policy.c_str() : "off", static_plan ? "on" : "off",
                       t.p50_ms, static_cast<long long>(stats.memory.peak_bytes),
                       static_cast<long long>(stats.memory.allocations));
        }
        results.push_back(std::move(entry));
      }
    }
  }
  return results;
}

std::string static_plan_table(const json& results) {
  std::string out =
      fmt::format("{:<28} {:>6} {:>6} {:>10} {:>10} {:>12} {:>12} {:>12} {:>8} {:>10}\n", "model", "reuse", "static",
                  "p50_ms", "p95_ms", "peak_bytes", "phys_bytes", "arena_bytes", "allocs", "tol_ratio");
  for (const auto& r : results) {
    out += fmt::format(
        "{:<28} {:>6} {:>6} {:>10.4f} {:>10.4f} {:>12} {:>12} {:>12} {:>8} {:>10.2e}\n", r["model"].get<std::string>(),
        r["quadrant"]["planner_reuse"].get<std::string>(), r["quadrant"]["static_plan"].get<bool>() ? "on" : "off",
        r["runtime"]["run_ms_p50"].get<double>(), r["runtime"]["run_ms_p95"].get<double>(),
        r["runtime"]["peak_bytes"].get<std::int64_t>(),
        r["planner"]["storage_plan"]["physical_bytes"].get<std::int64_t>(),
        r["backend"]["total_memory_stats"]["arena_bytes"].get<std::int64_t>(),
        r["runtime"]["allocs_per_run"].get<std::int64_t>(), r["correctness"]["tolerance_ratio"].get<double>());
  }
  return out;
}

}  // namespace bf::bench
