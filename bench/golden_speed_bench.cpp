#include "golden_speed_bench.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "frontend/onnx/onnx_importer.h"
#include "methods/bound_method.h"
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

// The golden files' name of a method.
std::string golden_method_name(const std::string& method) {
  if (method == "ibp") return "IBP";
  if (method == "crown") return "CROWN";
  if (method == "alpha-crown") return "alpha-CROWN";
  fail(ErrorKind::Usage, "no auto_LiRPA golden times for method '{}' (ibp, crown or alpha-crown)", method);
}

// Peak RSS (MB) of `binary args...` run as a child process, from wait4's rusage.
double process_peak_rss_mb(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  BF_CHECK(pid >= 0, ErrorKind::Io, "cannot start '{}' to measure its memory", binary);
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  BF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, ErrorKind::Io, "'{}' failed while measuring its memory",
           binary);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB -> MiB
}

}  // namespace

json run_golden_speed(const GoldenSpeedOptions& o) {
  json results = json::array();
  const auto names = o.networks.empty() ? golden_networks(o.golden_dir) : o.networks;
  for (const auto& name : names) {
    auto graph = std::make_shared<Graph>(import_onnx(o.golden_dir + "/" + name + ".onnx"));
    normalize(*graph);
    for (const auto& method_name : o.methods) {
      const auto method = make_bound_method(method_name);
      const std::string golden_method = golden_method_name(method_name);
      for (std::int64_t batch : o.batches) {
        const std::string prefix = o.golden_dir + "/" + name + ".b" + std::to_string(batch);
        if (!file_exists(prefix + "." + golden_method + ".json") || !file_exists(prefix + ".input.json")) continue;
        const json golden = read_json_file(prefix + "." + golden_method + ".json");
        const json input = read_json_file(prefix + ".input.json");
        BoundRequest req;
        req.graph = graph;
        req.region = linf_ball(input["x0"].get<std::vector<double>>(), input["eps"].get<double>(),
                               graph->type(graph->inputs()[0]).shape, DType::F32);
        req.planner.version = PlannerVersion::V0;
        // alpha-CROWN as the goldens ran it: 20 Adam steps, lr 0.1, decay 0.98, no early stop.
        req.alpha = AlphaOptions{20, 0.1, 0.98, 0, {}};
        // The method as a user runs it: fitted to the default budget, compiled once.
        Stopwatch compile_watch;
        CompileCache cache;
        req.cache = &cache;
        const auto prepared = method->prepare(req);
        const double compile_ms = compile_watch.elapsed_ms();

        // Reference executor: time whole bound computations (optional: slow on big CROWN nets).
        std::vector<OutputBounds> ref_bounds;
        std::vector<double> ref_times;
        if (o.reference_iters > 0) {
          BoundRequest ref_req = req;
          ref_req.executor = ExecutorKind::Reference;
          const auto reference = method->prepare(ref_req);
          ref_bounds = reference->run(req.region).outputs;
          for (int i = 0; i < o.reference_iters; ++i) {
            Stopwatch w;
            ref_bounds = reference->run(req.region).outputs;
            ref_times.push_back(w.elapsed_ms());
          }
        }

        // Compiled executor: time runs.
        BoundResult first = prepared->run(req.region);
        std::vector<OutputBounds> bounds = first.outputs;
        for (int i = 1; i < o.warmup; ++i) bounds = prepared->run(req.region).outputs;
        std::vector<double> times;
        AlphaReport alpha_report;
        for (int i = 0; i < o.iters; ++i) {
          Stopwatch w;
          BoundResult r = prepared->run(req.region);
          times.push_back(w.elapsed_ms());
          bounds = std::move(r.outputs);
          alpha_report = r.alpha_report;
        }
        const TimingSummary compiled = summarize(times);
        const double lirpa_ms = golden["median_ms"].get<double>();
        // Agreement with auto_LiRPA's bounds, for the record.
        double lirpa_rel = 0.0;
        auto gl = golden["lower"].get<std::vector<double>>(), gu = golden["upper"].get<std::vector<double>>();
        auto bl = bounds[0].lower.to_double_vector(), bu = bounds[0].upper.to_double_vector();
        for (std::size_t i = 0; i < gl.size() && i < bl.size(); ++i) {
          lirpa_rel = std::max({lirpa_rel, std::fabs(bl[i] - gl[i]) / std::max(1e-5, std::fabs(gl[i])),
                                std::fabs(bu[i] - gu[i]) / std::max(1e-5, std::fabs(gu[i]))});
        }
        json entry{{"network", name},
                   {"method", method_name},
                   {"batch", batch},
                   {"threads", o.threads},
                   {"auto_lirpa_ms", lirpa_ms},
                   // Older goldens (mlp_mixed, resnet_small) carry no "env": threads unknown (0).
                   {"auto_lirpa_threads", golden.contains("env") ? golden["env"].value("threads", 0) : 0},
                   {"auto_lirpa_peak_rss_mb", golden.value("peak_rss_mb_inproc", 0.0)},
                   {"compiled_ms_p50", compiled.p50_ms},
                   {"compiled_ms_avg", compiled.avg_ms},
                   {"compiled_ms_min", compiled.min_ms},
                   {"compile_ms", compile_ms},
                   {"executor_peak_bytes", first.stats.memory.peak_bytes},
                   {"planned_bytes", first.planned_bytes},
                   {"batch_per_run", first.chunking.batch},
                   {"speedup_vs_auto_lirpa", lirpa_ms / compiled.p50_ms},
                   {"max_rel_diff_vs_auto_lirpa", lirpa_rel}};
        if (method_name == "alpha-crown") {
          // Mean improvement over CROWN, ours against auto_LiRPA's (same steps and lr).
          const auto cl = golden["crown_lower"].get<std::vector<double>>();
          const auto cu = golden["crown_upper"].get<std::vector<double>>();
          double gain_lo = 0.0, gain_up = 0.0;
          for (std::size_t i = 0; i < cl.size() && i < bl.size(); ++i) {
            gain_lo += (bl[i] - cl[i]) / static_cast<double>(cl.size());
            gain_up += (cu[i] - bu[i]) / static_cast<double>(cu.size());
          }
          entry["mean_gain_lower"] = gain_lo;
          entry["mean_gain_upper"] = gain_up;
          entry["gain_ratio_lower"] = gain_lo / golden["mean_gain_lower"].get<double>();
          entry["gain_ratio_upper"] = gain_up / golden["mean_gain_upper"].get<double>();
          entry["alpha_iterations"] = alpha_report.iterations;
          entry["alpha_ms_per_iteration"] = alpha_report.ms_per_iteration;
          entry["crown_ms"] = alpha_report.crown_ms;
          entry["iteration_vs_crown"] = alpha_report.ms_per_iteration / alpha_report.crown_ms;
        }
        std::vector<std::string> kernels;
        for (const auto& t : prepared->program()->compile_stats().tasks)
          kernels.insert(kernels.end(), t.kernels.begin(), t.kernels.end());
        entry["kernels"] = kernels;
        if (!ref_times.empty()) {
          const TimingSummary ref = summarize(ref_times);
          const Difference to_ref = bound_difference(ref_bounds, bounds);
          entry["reference_ms_p50"] = ref.p50_ms;
          entry["speedup_vs_reference"] = ref.p50_ms / compiled.p50_ms;
          entry["max_rel_diff_vs_reference"] = to_ref.max_rel;
          entry["tolerance_ratio_vs_reference"] = to_ref.tolerance_ratio;
        }
        if (!o.rss_binary.empty()) {
          const double rss = process_peak_rss_mb(
              o.rss_binary,
              method_name == "alpha-crown"
                  ? std::vector<std::string>{"bounds", o.golden_dir + "/" + name + ".onnx", "--input",
                                             prefix + ".input.json", "--method", method_name, "--lr", "0.1",
                                             "--early-stop", "0", "--threads", std::to_string(o.threads)}
                  : std::vector<std::string>{"bounds", o.golden_dir + "/" + name + ".onnx", "--input",
                                             prefix + ".input.json", "--method", method_name, "--threads",
                                             std::to_string(o.threads)});
          entry["peak_rss_mb"] = rss;
          entry["rss_ratio_vs_auto_lirpa"] = rss / golden.value("peak_rss_mb_inproc", 1.0);
        }
        if (o.progress) {
          std::fprintf(stderr, "bench golden: %s %s b%lld compiled %.4f ms, auto_LiRPA %.3f ms (x%.1f)\n", name.c_str(),
                       method_name.c_str(), static_cast<long long>(batch), compiled.p50_ms, lirpa_ms,
                       lirpa_ms / compiled.p50_ms);
        }
        results.push_back(std::move(entry));
      }
    }
  }
  return results;
}

std::string golden_speed_table(const json& results) {
  std::string out =
      fmt::format("{:<12} {:<9} {:>5} {:>12} {:>12} {:>12} {:>10} {:>10} {:>9} {:>9}\n", "network", "method", "batch",
                  "compiled_ms", "reference_ms", "lirpa_ms", "x_vs_lirpa", "x_vs_ref", "rss_MB", "rss_ratio");
  for (const auto& r : results) {
    auto opt = [&](const char* key, const char* fmt_spec) {
      return r.contains(key) ? fmt::format(fmt::runtime(fmt_spec), r[key].get<double>()) : std::string("-");
    };
    out += fmt::format(
        "{:<12} {:<9} {:>5} {:>12.4f} {:>12} {:>12.3f} {:>10.1f} {:>10} {:>9} {:>9}\n", r["network"].get<std::string>(),
        r["method"].get<std::string>(), r["batch"].get<std::int64_t>(), r["compiled_ms_p50"].get<double>(),
        opt("reference_ms_p50", "{:.3f}"), r["auto_lirpa_ms"].get<double>(), r["speedup_vs_auto_lirpa"].get<double>(),
        opt("speedup_vs_reference", "{:.1f}"), opt("peak_rss_mb", "{:.1f}"), opt("rss_ratio_vs_auto_lirpa", "{:.3f}"));
  }
  return out;
}

}  // namespace bf::bench
