// boundflow bounds MODEL (--input X.json --eps E | --box BOX.json) --method ibp:
// certified lower/upper bounds of every output (of every row of C with --spec).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_checks.h"
#include "cli_common.h"
#include "commands.h"
#include "frontend/vnnlib/vnnlib.h"
#include "methods/bound_method.h"
#include "planner/plan_dump.h"
#include "runtime/compiled/compiled_program.h"
#include "support/error.h"
#include "support/json_io.h"
#include "verify/property_spec.h"

namespace bf::cli {
namespace {

nlohmann::json intermediates_json(const std::vector<OutputBounds>& values) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : values) {
    out.push_back({{"name", v.name},
                   {"shape", v.shape},
                   {"batch", v.batch},
                   {"lower", v.lower.to_double_vector()},
                   {"upper", v.upper.to_double_vector()}});
  }
  return out;
}

}  // namespace

void add_bounds_command(CLI::App& app) {
  struct Args {
    std::string model;
    RegionArgs region;
    std::string spec_file;
    bool fuse_spec = false;
    std::string method = "ibp";
    std::string dtype = "f32";
    PlannerArgs planner;
    std::string json_out;
    bool no_normalize = false;
    std::string executor = "compiled";
    CompileArgs compile;
    int threads = 0;
    bool timings = false;
    bool dense_intermediates = false;
    bool intermediates = false;
    std::string max_memory;
    std::string vnnlib;
    AlphaOptions alpha;
    bool sound_fp = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("bounds", "compute certified output bounds over an input region");
  cmd->add_option("MODEL", args->model, "ONNX model (.onnx or .onnx.gz)")->required();
  auto* input = cmd->add_option("--input", args->region.input_file,
                                "centre x0: JSON array flattened in C order, or object with \"x0\" (and \"eps\")");
  cmd->add_option("--eps", args->region.eps, "L-infinity radius around x0")->check(finite_number(0));
  cmd->add_option("--clamp", args->region.clamp, "clamp the ball to [LO, HI] (two numbers)")
      ->expected(2)
      ->check(finite_number());
  auto* box = cmd->add_option("--box", args->region.box_file, "explicit box: JSON object with \"lower\" and \"upper\"");
  input->excludes(box);
  auto* vnnlib = cmd->add_option("--vnnlib", args->vnnlib,
                                 "bound the output constraints of a VNN-LIB property over its input boxes (.gz read "
                                 "directly)");
  vnnlib->excludes(input);
  vnnlib->excludes(box);
  cmd->add_option("--spec", args->spec_file, "bound C·y: JSON list of rows of C (or object with \"C\")");
  cmd->add_flag("--fuse-spec", args->fuse_spec, "fold C into the last affine layer (W' = C·W, b' = C·b)");
  cmd->add_option("--method", args->method, "bound method: ibp, crown, crown-ibp or alpha-crown")
      ->check(one_of({"ibp", "crown", "crown-ibp", "alpha-crown"}));
  cmd->add_flag("--dense-intermediates", args->dense_intermediates,
                "crown, alpha-crown: bound every element of every intermediate value by a sweep (auto_LiRPA's "
                "CROWN-dense)");
  const std::vector<CLI::Option*> alpha_options = {
      cmd->add_option("--iterations", args->alpha.iterations, "alpha-crown: optimisation steps (default 20)")
          ->check(integer(0, 100000)),
      cmd->add_option("--lr", args->alpha.lr, "alpha-crown: Adam's step size (default 0.5)")
          ->check(finite_number(1e-12)),
      cmd->add_option("--lr-decay", args->alpha.lr_decay, "alpha-crown: step size factor per step (default 0.98)")
          ->check(finite_number(1e-12)),
      cmd->add_option("--early-stop", args->alpha.early_stop,
                      "alpha-crown: stop after this many steps without a better output bound (default 10; 0: never)")
          ->check(integer(0))};
  cmd->add_option("--max-memory", args->max_memory,
                  "memory the computation may hold, e.g. 4G or 512M (default: 60% of the available memory); the "
                  "work is chunked to fit")
      ->check(byte_size());
  cmd->add_flag("--intermediates", args->intermediates,
                "add the bounds of intermediate values (inputs of activations and pooling) to the --json output");
  cmd->add_option("--dtype", args->dtype, "compute bounds in f32 or f64")->check(one_of({"f32", "f64"}));
  cmd->add_flag("--sound-fp", args->sound_fp,
                "crown methods: bounds that hold in exact real arithmetic despite floating-point rounding (a rounding "
                "account; the region rounded outward; docs/soundness.md)");
  add_planner_options(*cmd, args->planner);
  cmd->add_option("--json", args->json_out, "write {\"lower\": [...], \"upper\": [...], ...} to this file");
  cmd->add_flag("--no-normalize", args->no_normalize, "bound the graph as imported (skip normalisation passes)");
  cmd->add_option("--executor", args->executor, "compiled (fast, default) or reference (defines the semantics)")
      ->check(one_of({"compiled", "reference"}));
  add_compile_options(*cmd, args->compile);
  add_threads_option(*cmd, args->threads);
  cmd->add_flag("--timings", args->timings,
                "add compile and run times (and compile-cache keys) to the --json output; they differ between runs");
  cmd->callback([args, alpha_options] {
    for (CLI::Option* o : alpha_options) {
      BF_CHECK(o->count() == 0 || args->method == "alpha-crown", ErrorKind::Usage, "{} applies to --method alpha-crown",
               o->get_name());
    }
    BF_CHECK(!args->region.input_file.empty() || !args->region.box_file.empty() || !args->vnnlib.empty(),
             ErrorKind::Usage, "give the input region with --input X.json --eps E, --box BOX.json or --vnnlib PROP");
    BF_CHECK(args->vnnlib.empty() || args->spec_file.empty(), ErrorKind::Usage,
             "--vnnlib brings its own output constraints; --spec does not apply");
    BF_CHECK(args->region.clamp.empty() || args->region.box_file.empty(), ErrorKind::Usage,
             "--clamp applies to --input/--eps, not to --box");
    const DType dtype = parse_dtype(args->dtype);
    BoundRequest request;
    request.graph = load_model(args->model, !args->no_normalize);
    std::optional<VnnlibProperty> property;
    std::optional<PropertySpec> pspec;
    if (!args->vnnlib.empty()) {
      const Graph& g = *request.graph;
      property = parse_vnnlib(args->vnnlib, numel(g.type(g.inputs().at(0)).shape), g.type(g.outputs().at(0)).numel());
      pspec = property_spec(*property, g, dtype, args->sound_fp);
      if (args->sound_fp) {
        const std::vector<double> c = pspec->c.to_double_vector();
        for (const auto& k : property->cases) {
          for (const auto& p : k.polytopes) {
            for (const auto& r : p.rows) {
              for (double v : r) {
                BF_CHECK(static_cast<double>(static_cast<float>(v)) == v || dtype == DType::F64, ErrorKind::Usage,
                         "{}: coefficient {} is not exact in f32 (sound floating point bounds the rows as given: "
                         "use --dtype f64)",
                         args->vnnlib, v);
              }
            }
          }
        }
      }
      request.region = pspec->region;
      request.spec = pspec->c;
    } else {
      request.region = read_region(args->region, *request.graph, dtype, args->sound_fp);
      if (!args->spec_file.empty()) request.spec = read_spec(args->spec_file, dtype, args->sound_fp);
    }
    request.fuse_spec = args->fuse_spec;
    request.sound_fp = args->sound_fp;
    request.planner = planner_config(args->planner);
    request.executor = args->executor == "reference" ? ExecutorKind::Reference : ExecutorKind::Compiled;
    request.compile = compile_options(args->compile);
    request.export_intermediates = args->intermediates;
    request.dense_intermediates = args->dense_intermediates;
    if (!args->max_memory.empty()) request.max_memory = parse_byte_size(args->max_memory, "--max-memory");
    BF_CHECK(!args->dense_intermediates || args->method == "crown" || args->method == "alpha-crown", ErrorKind::Usage,
             "--dense-intermediates applies to --method crown and alpha-crown");
    BF_CHECK(args->alpha.lr_decay <= 1.0, ErrorKind::Usage, "--lr-decay: must be a number in (0, 1] (got {})",
             args->alpha.lr_decay);
    request.alpha = args->alpha;
    set_threads(args->threads);

    const auto method = make_bound_method(args->method);
    BoundResult result = method->compute(request);
    const std::vector<OutputBounds>& outputs = result.outputs;
    nlohmann::json memory{{"executor", result.executor},
                          {"peak_bytes", result.stats.memory.peak_bytes},
                          {"allocations", result.stats.memory.allocations}};
    if (request.executor == ExecutorKind::Reference) {
      memory["scratch_peak_bytes"] = result.stats.scratch.peak_bytes;
      memory["scratch_allocations"] = result.stats.scratch.allocations;
      memory["prepared_param_bytes"] = result.stats.prepared_param_bytes;
    } else {
      const CompiledProgram* program = result.program.get();
      memory["compile_stats"] = compile_stats_json(program->compile_stats(), args->timings);
    }
    // The default budget follows the machine's free memory: written only when
    // given, so the same input gives the same bytes.
    if (request.max_memory > 0) {
      memory["budget_bytes"] = result.budget_bytes;
    } else {
      memory["budget"] = "default: 60% of the available memory";
    }
    memory["planned_bytes"] = result.planned_bytes;
    memory["batch_per_run"] = result.chunking.batch;
    nlohmann::json chunks = nlohmann::json::object();
    for (const auto& [v, rows] : result.chunking.rows_per_chunk) chunks[result.plan->graph->value(v).name] = rows;
    memory["rows_per_chunk"] = chunks;
    if (args->timings) memory["run_ms"] = result.stats.run_ms;
    const nlohmann::json plan_config = config_to_json(result.plan->config);
    const nlohmann::json storage = storage_stats_json(*result.plan);

    nlohmann::json lower = nlohmann::json::array(), upper = nlohmann::json::array();
    BF_CHECK(outputs.size() == 1, ErrorKind::Unsupported, "bounds of multi-output networks are not printed");
    const OutputBounds& out = outputs.at(0);
    const std::int64_t per_sample = numel(out.shape);
    auto lo = out.lower.to_double_vector();
    auto hi = out.upper.to_double_vector();
    const char* label = request.spec ? "row" : "y";
    nlohmann::json cases = nlohmann::json::array();
    if (pspec) {
      // Per case, polytope and constraint: the bounds of its row.
      const std::vector<double> cvals = pspec->c.to_double_vector();
      const std::int64_t ny = pspec->c.shape()[1];
      for (std::size_t k = 0; k < property->cases.size(); ++k) {
        nlohmann::json polys = nlohmann::json::array();
        for (std::size_t p = 0; p < property->cases[k].polytopes.size(); ++p) {
          const OutputPolytope& poly = property->cases[k].polytopes[p];
          nlohmann::json rows = nlohmann::json::array();
          for (std::size_t i = 0; i < poly.rows.size(); ++i) {
            const std::int64_t row = pspec->row_of[k][p][i];
            const auto at = static_cast<std::size_t>(static_cast<std::int64_t>(k) * per_sample + row);
            const std::vector<double> crow(cvals.begin() + row * ny, cvals.begin() + (row + 1) * ny);
            std::printf("case %zu polytope %zu: %s <= %s  lower %s  upper %s\n", k, p, row_text(crow).c_str(),
                        format_value(poly.rhs[i], DType::F64).c_str(), format_value(lo[at], dtype).c_str(),
                        format_value(hi[at], dtype).c_str());
            rows.push_back({{"row", row_text(crow)}, {"rhs", poly.rhs[i]}, {"lower", lo[at]}, {"upper", hi[at]}});
          }
          polys.push_back({{"constraints", rows}});
        }
        cases.push_back({{"case", k}, {"polytopes", polys}});
      }
    }
    for (std::int64_t b = 0; b < out.batch && !pspec; ++b) {
      for (std::int64_t i = 0; i < per_sample; ++i) {
        const auto k = static_cast<std::size_t>(b * per_sample + i);
        std::string where =
            out.batch > 1 ? fmt::format("sample {} {}[{}]", b, label, i) : fmt::format("{}[{}]", label, i);
        std::printf("%s  lower %s  upper %s\n", where.c_str(), format_value(lo[k], dtype).c_str(),
                    format_value(hi[k], dtype).c_str());
        lower.push_back(lo[k]);
        upper.push_back(hi[k]);
      }
    }
    if (pspec) {
      for (std::size_t k = 0; k < lo.size(); ++k) {
        lower.push_back(lo[k]);
        upper.push_back(hi[k]);
      }
    }
    if (!args->json_out.empty()) {
      nlohmann::json j{{"method", args->method},
                       {"model", args->model},
                       {"output", out.name},
                       {"shape", out.shape},
                       {"batch", out.batch},
                       {"dtype", args->dtype},
                       {"spec_rows", request.spec ? request.spec->shape()[0] : 0},
                       {"lower", lower},
                       {"upper", upper},
                       {"planner", plan_config},
                       {"storage_plan", storage},
                       {"memory", memory}};
      if (args->intermediates) j["intermediates"] = intermediates_json(result.intermediates);
      if (args->method == "alpha-crown") {
        const AlphaReport& a = result.alpha_report;
        j["alpha"] = {{"iterations", a.iterations},
                      {"stopped_early", a.stopped_early},
                      {"options",
                       {{"iterations", args->alpha.iterations},
                        {"lr", args->alpha.lr},
                        {"lr_decay", args->alpha.lr_decay},
                        {"early_stop", args->alpha.early_stop}}}};
        if (args->timings) {
          j["alpha"]["ms_per_iteration"] = a.ms_per_iteration;
          j["alpha"]["crown_ms"] = a.crown_ms;
        }
      }
      if (pspec) {
        j["vnnlib"] = args->vnnlib;
        j["cases"] = cases;
      }
      write_json_file(args->json_out, j);
    }
  });
}

}  // namespace bf::cli
