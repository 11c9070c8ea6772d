// boundflow bench static-plan MODEL...: the four-quadrant benchmark (planner
// reuse off/on x static memory plan off/on).
// boundflow bench golden: compiled IBP vs auto_LiRPA's recorded times and vs
// the reference executor on ../shared/golden.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_checks.h"
#include "cli_common.h"
#include "commands.h"
#include "golden_speed_bench.h"
#include "static_plan_bench.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/json_io.h"
#include "svg_plot.h"

namespace bf::cli {
namespace {

// This process's executable, to start it again as a measured child.
std::string self_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  BF_CHECK(!ec, ErrorKind::Io, "cannot find the boundflow executable (/proc/self/exe): {}", ec.message());
  return p.string();
}

}  // namespace

void add_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "benchmarks (ratios measured in one run)");
  bench->require_subcommand(1);

  struct StaticArgs {
    bench::StaticPlanBenchOptions options;
    std::string json_out;
    std::string plot;
  };
  auto sa = std::make_shared<StaticArgs>();
  CLI::App* sp = bench->add_subcommand(
      "static-plan", "four quadrants: planner buffer reuse off/on x compiled static memory plan off/on");
  sp->add_option("MODEL", sa->options.models, "ONNX models (.onnx or .onnx.gz)")->required();
  sp->add_option("--min-tasks", sa->options.min_tasks, "planner v2: at least this many tasks")->check(integer(1));
  sp->add_option("--batch", sa->options.batch, "input boxes bounded per run")->check(integer(1));
  sp->add_option("--warmup", sa->options.warmup, "untimed runs first")->check(integer(0));
  sp->add_option("--iters", sa->options.iters, "timed runs")->check(integer(1));
  sp->add_option("--eps", sa->options.eps, "L-inf radius (default: the input file's, else 0.01)")
      ->check(finite_number(0));
  sp->add_option("--input", sa->options.input_file, "x0 to use (JSON array or object with x0); default random");
  sp->add_option("--method", sa->options.method, "bound method: ibp, crown or crown-ibp")
      ->check(one_of({"ibp", "crown", "crown-ibp"}));
  sp->add_option("--reuse-policy", sa->options.reuse_policy, "policy of the 'reuse on' quadrants: exact or size")
      ->check(one_of({"exact", "size"}));
  add_threads_option(*sp, sa->options.threads);
  sp->add_option("--json", sa->json_out, "write the results (one object per model and quadrant) here");
  sp->add_option("--plot", sa->plot, "draw peak bytes and run time per quadrant into this SVG file");
  sp->callback([sa] {
    set_threads(sa->options.threads);
    nlohmann::json results = bench::run_static_plan_bench(sa->options);
    std::fputs(bench::static_plan_table(results).c_str(), stdout);
    if (!sa->json_out.empty()) write_json_file(sa->json_out, results);
    if (!sa->plot.empty()) write_file(sa->plot, bench::quadrant_plot_svg(results));
  });

  struct GoldenArgs {
    bench::GoldenSpeedOptions options;
    std::string json_out;
    bool measure_rss = false;
  };
  auto ga = std::make_shared<GoldenArgs>();
  ga->options.golden_dir = "../shared/golden";
  CLI::App* gs = bench->add_subcommand("golden",
                                       "compiled bound methods vs auto_LiRPA's recorded times and memory, and vs the "
                                       "reference executor");
  gs->add_option("--golden-dir", ga->options.golden_dir, "directory of the golden files");
  gs->add_option("--network", ga->options.networks, "only these networks (repeatable)");
  gs->add_option("--batch", ga->options.batches, "batches to run (repeatable; default 1 and 64)")->check(integer(1));
  gs->add_option("--method", ga->options.methods, "methods to time (repeatable: ibp, crown, alpha-crown; default ibp)")
      ->check(one_of({"ibp", "crown", "alpha-crown"}));
  gs->add_flag("--rss", ga->measure_rss, "also measure the peak RSS of one `boundflow bounds` process per case");
  gs->add_option("--warmup", ga->options.warmup, "untimed runs first")->check(integer(0));
  gs->add_option("--iters", ga->options.iters, "timed runs of the compiled executor")->check(integer(1));
  gs->add_option("--reference-iters", ga->options.reference_iters, "timed runs of the reference executor (0: skip it)")
      ->check(integer(0));
  add_threads_option(*gs, ga->options.threads);
  gs->add_option("--json", ga->json_out, "write the results here");
  gs->callback([ga] {
    set_threads(ga->options.threads);
    if (ga->measure_rss) ga->options.rss_binary = self_executable();
    nlohmann::json results = bench::run_golden_speed(ga->options);
    BF_CHECK(!results.empty(), ErrorKind::Invalid, "no golden network with results for the methods under '{}'",
             ga->options.golden_dir);
    std::fputs(bench::golden_speed_table(results).c_str(), stdout);
    if (!ga->json_out.empty()) write_json_file(ga->json_out, results);
  });
}

}  // namespace bf::cli
