// boundflow plan MODEL [planner flags] --dump text|json: the task graph, the
// buffers, the logical->physical map and the memory statistics of a plan.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_checks.h"
#include "cli_common.h"
#include "commands.h"
#include "planner/plan_dump.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "support/error.h"
#include "support/json_io.h"

namespace bf::cli {

void add_plan_command(CLI::App& app) {
  struct Args {
    std::string model;
    PlannerArgs planner;
    std::string dump = "text";
    std::string domain = "interval";
    std::string dtype = "f32";
    std::int64_t batch = 1;
    bool timings = false;
    std::string json_out;
    bool no_normalize = false;
    bool compiled = false;
    CompileArgs compile;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("plan", "show the task graph and storage plan the planner makes for a model");
  cmd->add_option("MODEL", args->model, "ONNX model (.onnx or .onnx.gz)")->required();
  add_planner_options(*cmd, args->planner);
  cmd->add_option("--dump", args->dump, "output format: text or json")->check(one_of({"text", "json"}));
  cmd->add_option("--domain", args->domain, "what buffers hold: interval (IBP) or primal (forward)")
      ->check(one_of({"interval", "primal"}));
  cmd->add_option("--dtype", args->dtype, "f32 or f64")->check(one_of({"f32", "f64"}));
  cmd->add_option("--batch", args->batch, "samples per run")->check(integer(1));
  cmd->add_flag("--timings", args->timings, "include per-pass timings (they differ between runs)");
  cmd->add_option("--json", args->json_out, "also write the JSON dump to this file");
  cmd->add_flag("--no-normalize", args->no_normalize, "plan the graph as imported");
  cmd->add_flag("--compiled", args->compiled,
                "also lower every task for the compiled executor and show its steps, kernels and memory plan");
  add_compile_options(*cmd, args->compile);
  cmd->callback([args] {
    PlannerConfig config = planner_config(args->planner);
    config.domain = args->domain == "interval" ? PlanDomain::Interval : PlanDomain::Primal;
    config.dtype = parse_dtype(args->dtype);
    config.batch = args->batch;
    PlanBundle bundle = make_plan(load_model(args->model, !args->no_normalize), config);
    nlohmann::json j = plan_to_json(bundle, args->timings);
    std::unique_ptr<CompiledProgram> program;
    if (args->compiled) {
      BF_CHECK(config.domain == PlanDomain::Interval, ErrorKind::Usage, "--compiled needs --domain interval");
      CompileCache cache;
      program = std::make_unique<CompiledProgram>(bundle, compile_options(args->compile), cache);
      j["compiled"] = compile_stats_json(program->compile_stats(), args->timings);
      j["compiled"]["lowered_tasks"] = program->describe();
    }
    if (args->dump == "json") {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::fputs(plan_to_text(bundle, args->timings).c_str(), stdout);
      if (program) std::fputs(compiled_to_text(*program).c_str(), stdout);
    }
    if (!args->json_out.empty()) write_json_file(args->json_out, j);
  });
}

}  // namespace bf::cli
