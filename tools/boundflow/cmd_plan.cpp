// boundflow plan MODEL [planner flags] --dump text|json: the task graph, the
// buffers, the logical->physical map and the memory statistics of a plan.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_checks.h"
#include "cli_common.h"
#include "commands.h"
#include "methods/bound_method.h"
#include "methods/memory_budget.h"
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
    std::string method;
    std::string max_memory;
    bool dense_intermediates = false;
    bool dump_lowering = false;
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
  cmd->add_option("--method", args->method,
                  "plan a bound method as it would run: ibp, crown or crown-ibp (backward sweeps, A buffers and "
                  "their lifetimes; chunked to --max-memory)")
      ->check(one_of({"ibp", "crown", "crown-ibp"}));
  cmd->add_option("--max-memory", args->max_memory,
                  "with --method: the memory budget, e.g. 4G (default: 60% of "
                  "the available memory)")
      ->check(byte_size());
  cmd->add_flag("--dense-intermediates", args->dense_intermediates, "with --method crown: every intermediate row");
  cmd->add_flag("--dump-lowering", args->dump_lowering,
                "with --compiled: the lowered task after every lowering pass (text dump only)");
  add_compile_options(*cmd, args->compile);
  cmd->callback([args] {
    PlannerConfig config = planner_config(args->planner);
    config.domain = args->domain == "interval" ? PlanDomain::Interval : PlanDomain::Primal;
    config.dtype = parse_dtype(args->dtype);
    config.batch = args->batch;
    BF_CHECK(args->method.empty() || args->domain == "interval", ErrorKind::Usage,
             "--method plans a bound method; it cannot be combined with --domain primal");
    BF_CHECK(!args->dump_lowering || args->compiled, ErrorKind::Usage, "--dump-lowering needs --compiled");
    auto graph = load_model(args->model, !args->no_normalize);
    std::optional<PlanBundle> own;
    std::unique_ptr<PreparedBounds> prepared;
    const PlanBundle* bundle = nullptr;
    if (args->method.empty()) {
      own = make_plan(graph, config);
      bundle = &*own;
    } else {
      // The method's own plan for a region of this batch (the values do not matter).
      BoundRequest req;
      req.graph = graph;
      const Shape& shape = graph->type(graph->inputs().at(0)).shape;
      std::vector<double> zeros(static_cast<std::size_t>(args->batch * numel(shape)), 0.0);
      req.region = input_box(zeros, zeros, shape, config.dtype);
      req.planner = config;
      req.executor = ExecutorKind::Reference;  // plan only; --compiled lowers it below
      req.dense_intermediates = args->dense_intermediates;
      if (!args->max_memory.empty()) req.max_memory = parse_byte_size(args->max_memory, "--max-memory");
      prepared = make_bound_method(args->method)->prepare(req);
      bundle = &prepared->plan();
    }
    nlohmann::json j = plan_to_json(*bundle, args->timings);
    std::unique_ptr<CompiledProgram> program;
    std::vector<std::string> lowering_dumps;
    if (args->compiled) {
      BF_CHECK(config.domain == PlanDomain::Interval, ErrorKind::Usage, "--compiled needs --domain interval");
      CompileCache cache;
      program = std::make_unique<CompiledProgram>(*bundle, compile_options(args->compile), cache,
                                                  args->dump_lowering ? &lowering_dumps : nullptr);
      j["compiled"] = compile_stats_json(program->compile_stats(), args->timings);
      j["compiled"]["lowered_tasks"] = program->describe();
    }
    if (args->dump == "json") {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::fputs(plan_to_text(*bundle, args->timings).c_str(), stdout);
      for (const auto& d : lowering_dumps) std::fputs(d.c_str(), stdout);
      if (program) std::fputs(compiled_to_text(*program).c_str(), stdout);
    }
    if (!args->json_out.empty()) write_json_file(args->json_out, j);
  });
}

}  // namespace bf::cli
