#include "golden_speed_bench.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "methods/ibp_method.h"
#include "frontend/onnx/onnx_importer.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/json_io.h"
#include "support/timer.h"
#include "transform/normalize.h"

namespace bf::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<std::string> golden_networks(const std::string& dir) {
  std::vector<std::string> names;
  BF_CHECK(fs::is_directory(dir), ErrorKind::Io, "golden directory '{}' not found", dir);
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string f = e.path().filename().string();
    if (f.size() > 5 && f.compare(f.size() - 5, 5, ".onnx") == 0) names.push_back(f.substr(0, f.size() - 5));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

json run_golden_speed(const GoldenSpeedOptions& o) {
  json results = json::array();
  const auto names = o.networks.empty() ? golden_networks(o.golden_dir) : o.networks;
  for (const auto& name : names) {
    auto graph = std::make_shared<Graph>(import_onnx(o.golden_dir + "/" + name + ".onnx"));
    normalize(*graph);
    for (std::int64_t batch : o.batches) {
      const std::string prefix = o.golden_dir + "/" + name + ".b" + std::to_string(batch);
      if (!file_exists(prefix + ".IBP.json") || !file_exists(prefix + ".input.json")) continue;
      const json golden = read_json_file(prefix + ".IBP.json");
      const json input = read_json_file(prefix + ".input.json");
      IbpRequest req;
      req.graph = graph;
      req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(),
                             graph->type(graph->inputs()[0]).shape, DType::F32);
      req.planner.version = PlannerVersion::V0;

      // Reference executor: plan once, time whole bound computations.
      PlanBundle ref_plan = make_plan(graph_for_request(req), planner_config_for(req));
      ReferenceExecutor reference(ref_plan);
      std::vector<OutputBounds> ref_bounds = reference.run_bounds(req.region);
      std::vector<double> ref_times;
      for (int i = 0; i < o.reference_iters; ++i) {
        Stopwatch w;
        ref_bounds = reference.run_bounds(req.region);
        ref_times.push_back(w.elapsed_ms());
      }

      // Compiled executor: compile once, then time runs.
      PlanBundle plan = make_plan(graph_for_request(req), planner_config_for(req));
      CompileCache cache;
      Stopwatch compile_watch;
      CompiledProgram program(plan, CompileOptions{}, cache);
      const double compile_ms = compile_watch.elapsed_ms();
      std::vector<OutputBounds> bounds;
      for (int i = 0; i < o.warmup; ++i) bounds = program.run_bounds(req.region);
      std::vector<double> times;
      for (int i = 0; i < o.iters; ++i) {
        Stopwatch w;
        bounds = program.run_bounds(req.region);
        times.push_back(w.elapsed_ms());
      }
      const TimingSummary compiled = summarize(times);
      const TimingSummary ref = summarize(ref_times);
      const double lirpa_ms = golden["median_ms"].get<double>();
      const Difference to_ref = bound_difference(ref_bounds, bounds);
      // Agreement with auto_LiRPA's bounds, for the record.
      double lirpa_rel = 0.0;
      auto gl = golden["lower"].get<std::vector<double>>(), gu = golden["upper"].get<std::vector<double>>();
      auto bl = bounds[0].lower.to_double_vector(), bu = bounds[0].upper.to_double_vector();
      for (std::size_t i = 0; i < gl.size() && i < bl.size(); ++i) {
        lirpa_rel = std::max({lirpa_rel, std::fabs(bl[i] - gl[i]) / std::max(1e-5, std::fabs(gl[i])),
                              std::fabs(bu[i] - gu[i]) / std::max(1e-5, std::fabs(gu[i]))});
      }
      json entry{{"network", name},
                 {"batch", batch},
                 {"threads", o.threads},
                 {"auto_lirpa_ms", lirpa_ms},
                 {"auto_lirpa_threads", golden["env"].value("threads", 0)},
                 {"compiled_ms_p50", compiled.p50_ms},
                 {"compiled_ms_avg", compiled.avg_ms},
                 {"compiled_ms_min", compiled.min_ms},
                 {"reference_ms_p50", ref.p50_ms},
                 {"compile_ms", compile_ms},
                 {"speedup_vs_auto_lirpa", lirpa_ms / compiled.p50_ms},
                 {"speedup_vs_reference", ref.p50_ms / compiled.p50_ms},
                 {"max_rel_diff_vs_reference", to_ref.max_rel},
                 {"tolerance_ratio_vs_reference", to_ref.tolerance_ratio},
                 {"max_rel_diff_vs_auto_lirpa", lirpa_rel},
                 {"kernels", program.compile_stats().tasks.at(0).kernels}};
      if (o.progress) {
        std::fprintf(stderr, "bench golden: %s b%lld compiled %.4f ms, reference %.3f ms, auto_LiRPA %.3f ms\n",
                     name.c_str(), static_cast<long long>(batch), compiled.p50_ms, ref.p50_ms, lirpa_ms);
      }
      results.push_back(std::move(entry));
    }
  }
  return results;
}

std::string golden_speed_table(const json& results) {
  std::string out = fmt::format("{:<12} {:>5} {:>12} {:>12} {:>12} {:>12} {:>12}\n", "network", "batch", "compiled_ms",
                                "reference_ms", "lirpa_ms", "x_vs_lirpa", "x_vs_ref");
  for (const auto& r : results) {
    out +=
        fmt::format("{:<12} {:>5} {:>12.4f} {:>12.3f} {:>12.3f} {:>12.1f} {:>12.1f}\n", r["network"].get<std::string>(),
                    r["batch"].get<std::int64_t>(), r["compiled_ms_p50"].get<double>(),
                    r["reference_ms_p50"].get<double>(), r["auto_lirpa_ms"].get<double>(),
                    r["speedup_vs_auto_lirpa"].get<double>(), r["speedup_vs_reference"].get<double>());
  }
  return out;
}

}  // namespace bf::bench
