// Pieces shared by the `boundflow` subcommands: loading a model, reading
// inputs and regions from files, writing numbers.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bound/input_region.h"
#include "ir/graph.h"
#include "planner/planner_config.h"
#include "runtime/compiled/compile_options.h"

namespace CLI {
class App;
}

namespace bf::cli {

// Imports an ONNX file and, unless `normalize` is false, runs the default
// normalisation pipeline on it.
// `exact`: normalise without rounding the model's constants (verify: sound
// floating point; NormalizeOptions::exact).
std::shared_ptr<Graph> load_model(const std::string& path, bool normalize = true, bool exact = false);

// A concrete input for `run`: a JSON array (nested arrays are flattened in C
// order), a JSON object with "x0", or an ONNX TensorProto `.pb` file.
Tensor read_input_tensor(const std::string& path);

// Numbers of a JSON value: an array (possibly nested) flattened in C order.
std::vector<double> json_numbers(const nlohmann::json& j, const std::string& what, const std::string& file);

// The region for `bounds`: --input with --eps (JSON array or object with "x0";
// the object's "eps" is used when --eps is absent) or --box (object with
// "lower" and "upper").
struct RegionArgs {
  std::string input_file;
  std::optional<double> eps;
  std::vector<double> clamp;  // empty or {lo, hi}
  std::string box_file;
};
// `outward`: the region rounded outward from f64 (sound floating point), else
// to nearest in `dtype` as auto_LiRPA does.
InputRegion read_region(const RegionArgs& args, const Graph& graph, DType dtype, bool outward = false);

// Spec matrix C from a JSON file: a list of rows, or an object with "C".
// `exact`: a coefficient that `dtype` cannot hold exactly is an error.
Tensor read_spec(const std::string& path, DType dtype, bool exact = false);

// Planner options shared by `bounds`, `plan` and `bench`.
struct PlannerArgs {
  std::string planner = "v2";
  std::int64_t min_tasks = 1;
  std::int64_t max_ops_per_task = 0;
  std::string partition = "balanced";
  std::string reuse = "off";
  bool verify = false;
};
void add_planner_options(CLI::App& cmd, PlannerArgs& args);
PlannerConfig planner_config(const PlannerArgs& args);

// Compiled-executor options shared by `bounds`, `plan` and `bench`.
struct CompileArgs {
  std::string memory_plan = "DEFAULT";
  std::vector<std::string> lowering_passes;  // empty: the default list
  std::string memory_planner = "greedy";
};
void add_compile_options(CLI::App& cmd, CompileArgs& args);
CompileOptions compile_options(const CompileArgs& args);

// --threads: OpenMP threads for oneDNN and the parallel kernels (0: leave the default).
void set_threads(int threads);

DType parse_dtype(const std::string& s);

// Shortest text that reads back as the same value in `dtype` (f32 values print
// as floats: 0.1f prints "0.1", not its 17-digit double expansion).
std::string format_value(double v, DType dtype);

}  // namespace bf::cli
