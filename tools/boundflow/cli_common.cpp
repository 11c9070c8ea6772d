#include "cli_common.h"

#include <omp.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli_checks.h"
#include "frontend/onnx/onnx_importer.h"
#include "ir/attributes.h"
#include "support/error.h"
#include "support/json_io.h"
#include "transform/normalize.h"

namespace bf::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void flatten_into(const nlohmann::json& j, std::vector<double>& out, const std::string& what, const std::string& file) {
  if (j.is_array()) {
    for (const auto& e : j) flatten_into(e, out, what, file);
    return;
  }
  if (!j.is_number()) throw Error(ErrorKind::Parse, what + " must hold only numbers").with_file(file);
  out.push_back(j.get<double>());
}

}  // namespace

std::shared_ptr<Graph> load_model(const std::string& path, bool normalize_graph, bool exact) {
  auto graph = std::make_shared<Graph>(import_onnx(path));
  if (normalize_graph) {
    try {
      NormalizeOptions options;
      options.exact = exact;
      normalize(*graph, options);
    } catch (Error& e) {
      e.with_file(path);
      throw;
    }
  }
  return graph;
}

std::vector<double> json_numbers(const nlohmann::json& j, const std::string& what, const std::string& file) {
  std::vector<double> out;
  if (!j.is_array()) throw Error(ErrorKind::Parse, what + " must be an array of numbers").with_file(file);
  flatten_into(j, out, what, file);
  return out;
}

Tensor read_input_tensor(const std::string& path) {
  if (ends_with(path, ".pb")) return load_tensor_proto(path);
  nlohmann::json j = read_json_file(path);
  const nlohmann::json* values = &j;
  if (j.is_object()) {
    if (!j.contains("x0")) throw Error(ErrorKind::Parse, "input object has no \"x0\" array").with_file(path);
    values = &j["x0"];
  }
  std::vector<double> v = json_numbers(*values, "input", path);
  return Tensor::from_vector<double>({static_cast<std::int64_t>(v.size())}, v);
}

InputRegion read_region(const RegionArgs& args, const Graph& graph, DType dtype, bool outward) {
  BF_CHECK(graph.inputs().size() == 1, ErrorKind::Unsupported, "bounds need a single-input network, this one has {}",
           graph.inputs().size());
  const Shape& shape = graph.type(graph.inputs()[0]).shape;
  try {
    if (!args.box_file.empty()) {
      nlohmann::json j = read_json_file(args.box_file);
      if (!j.is_object() || !j.contains("lower") || !j.contains("upper")) {
        throw Error(ErrorKind::Parse, "box file needs \"lower\" and \"upper\" arrays");
      }
      return input_box(json_numbers(j["lower"], "lower", args.box_file),
                       json_numbers(j["upper"], "upper", args.box_file), shape, dtype, outward);
    }
    nlohmann::json j = read_json_file(args.input_file);
    std::optional<double> eps = args.eps;
    const nlohmann::json* x0 = &j;
    if (j.is_object()) {
      if (!j.contains("x0")) throw Error(ErrorKind::Parse, "input object has no \"x0\" array");
      x0 = &j["x0"];
      if (!eps && j.contains("eps") && j["eps"].is_number()) eps = j["eps"].get<double>();
    }
    if (!eps) throw Error(ErrorKind::Usage, "--eps is required (the input file gives none)");
    std::optional<std::pair<double, double>> clamp;
    if (args.clamp.size() == 2) clamp = std::make_pair(args.clamp[0], args.clamp[1]);
    const std::vector<double> centre = json_numbers(*x0, "x0", args.input_file);
    return outward ? linf_ball_outward(centre, *eps, shape, dtype, clamp)
                   : linf_ball(centre, *eps, shape, dtype, clamp);
  } catch (Error& e) {
    e.with_file(args.box_file.empty() ? args.input_file : args.box_file);
    throw;
  }
}

Tensor read_spec(const std::string& path, DType dtype, bool exact) {
  nlohmann::json j = read_json_file(path);
  const nlohmann::json* rows = j.is_object() && j.contains("C") ? &j["C"] : &j;
  if (!rows->is_array() || rows->empty() || !(*rows)[0].is_array()) {
    throw Error(ErrorKind::Parse, "spec must be a non-empty list of rows (or an object with \"C\")").with_file(path);
  }
  const std::size_t cols = (*rows)[0].size();
  std::vector<double> values;
  for (const auto& row : *rows) {
    if (!row.is_array() || row.size() != cols)
      throw Error(ErrorKind::Parse, "spec rows differ in length").with_file(path);
    auto r = json_numbers(row, "spec row", path);
    values.insert(values.end(), r.begin(), r.end());
  }
  Tensor c =
      Tensor::from_vector<double>({static_cast<std::int64_t>(rows->size()), static_cast<std::int64_t>(cols)}, values);
  Tensor cast = c.cast(dtype);
  if (exact) {
    const std::vector<double> back = cast.to_double_vector();
    for (std::size_t i = 0; i < values.size(); ++i) {
      BF_CHECK(back[i] == values[i], ErrorKind::Usage,
               "{}: coefficient {} is not exact in {} (sound floating point bounds the spec as given: use --dtype f64)",
               path, values[i], dtype_name(dtype));
    }
  }
  return cast;
}

void add_planner_options(CLI::App& cmd, PlannerArgs& a) {
  cmd.add_option("--planner", a.planner, "planner: v0 (one task) or v2 (task DAG)")->check(one_of({"v0", "v2"}));
  cmd.add_option("--min-tasks", a.min_tasks, "v2: at least this many tasks")->check(integer(1));
  cmd.add_option("--max-ops-per-task", a.max_ops_per_task, "v2: at most this many ops per task (0 = no limit)")
      ->check(integer(0));
  cmd.add_option("--partition", a.partition, "v2 partition policy: balanced or layer")
      ->check(one_of({"balanced", "layer"}));
  cmd.add_option("--reuse", a.reuse, "physical buffer reuse: off, exact or size")
      ->check(one_of({"off", "exact", "size"}));
  cmd.add_flag("--verify-plan", a.verify, "run the plan verifier after every planner pass");
}

PlannerConfig planner_config(const PlannerArgs& a) {
  PlannerConfig c;
  c.version = parse_planner_version(a.planner);
  c.min_tasks = a.min_tasks;
  c.max_ops_per_task = a.max_ops_per_task;
  c.partition_policy = parse_partition_policy(a.partition);
  c.enable_storage_reuse = a.reuse != "off";
  if (c.enable_storage_reuse) c.reuse_policy = parse_reuse_policy(a.reuse);
  c.verify = a.verify;
  return c;
}

void add_compile_options(CLI::App& cmd, CompileArgs& a) {
  cmd.add_option("--memory-plan", a.memory_plan,
                 "compiled executor memory: DEFAULT (static arena), DISABLE_STATIC_PLAN (allocate each "
                 "intermediate at run time), FORCE_STATIC_PLAN (fail if anything cannot be planned statically)");
  cmd.add_option("--lowering-passes", a.lowering_passes,
                 "ordered lowering passes (comma separated), default select_kernels,fuse_activation,alias_views,"
                 "channels_last,prepare_weights,plan_memory")
      ->delimiter(',');
  cmd.add_option("--memory-planner", a.memory_planner, "static planner: greedy (best fit) or linear (no reuse)")
      ->check(one_of({"greedy", "linear"}));
}

CompileOptions compile_options(const CompileArgs& a) {
  CompileOptions o;
  o.mode = parse_memory_plan_mode(a.memory_plan);
  if (!a.lowering_passes.empty()) o.lowering_passes = a.lowering_passes;
  check_lowering_passes(o.lowering_passes);
  o.memory_planner = a.memory_planner;
  return o;
}

void set_threads(int threads) {
  BF_CHECK(threads >= 0 && threads <= kMaxThreads, ErrorKind::Usage,
           "--threads must be a whole number from 0 to {} (got {})", kMaxThreads, threads);
  if (threads > 0) omp_set_num_threads(threads);
}

DType parse_dtype(const std::string& s) {
  if (s == "f32" || s == "float32") return DType::F32;
  if (s == "f64" || s == "float64") return DType::F64;
  fail(ErrorKind::Usage, "unknown dtype '{}' (expected f32 or f64)", s);
}

std::string format_value(double v, DType dtype) {
  return dtype == DType::F32 ? format_float(static_cast<float>(v)) : format_double(v);
}

}  // namespace bf::cli
