// The four-quadrant benchmark: planner-level buffer reuse (off / on) x the
// compiled executor's static memory plan (off / on), on the same models in
// one run. It answers what the planner's reuse across tasks adds beyond a
// compiler's own static planning inside each task, in memory and in time.
// Output schema: docs/bench_static_plan.md.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace bf::bench {

struct StaticPlanBenchOptions {
  std::vector<std::string> models;
  std::int64_t min_tasks = 4;
  std::int64_t batch = 1;
  int warmup = 3;
  int iters = 20;
  double eps = -1.0;       // < 0: from the input file, else 0.01
  std::string input_file;  // optional x0 (and eps)
  std::string reuse_policy = "size";
  std::string method = "ibp";  // ibp, crown, crown-ibp
  int threads = 0;       // recorded; set by the caller
  bool progress = true;  // one line per model and quadrant on stderr
};

// One JSON object per model and quadrant, in a JSON array.
nlohmann::json run_static_plan_bench(const StaticPlanBenchOptions& options);

// The table printed by `boundflow bench static-plan`.
std::string static_plan_table(const nlohmann::json& results);

}  // namespace bf::bench
