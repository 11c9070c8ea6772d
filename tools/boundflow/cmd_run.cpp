// boundflow run MODEL --input FILE: the reference forward pass. Prints every
// output value, flattened in C order, one per line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_checks.h"
#include "cli_common.h"
#include "commands.h"
#include "runtime/forward_executor.h"
#include "support/error.h"
#include "support/json_io.h"

namespace bf::cli {

void add_run_command(CLI::App& app) {
  struct Args {
    std::string model;
    std::vector<std::string> inputs;
    std::string json_out;
    std::string dtype = "f32";
    std::int64_t batch = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run", "run the reference forward pass and print the outputs");
  cmd->add_option("MODEL", args->model, "ONNX model (.onnx or .onnx.gz)")->required();
  cmd->add_option("--input", args->inputs,
                  "input values: JSON array flattened in C order (or object with \"x0\"), or ONNX TensorProto .pb; "
                  "once per graph input")
      ->required();
  cmd->add_option("--json", args->json_out, "also write the outputs to this JSON file");
  cmd->add_option("--dtype", args->dtype, "compute in f32 or f64")->check(one_of({"f32", "f64"}));
  cmd->add_option("--batch", args->batch, "samples in the input (default: inferred from its size)")->check(integer(0));
  cmd->callback([args] {
    auto graph = load_model(args->model, /*normalize=*/false);
    BF_CHECK(args->inputs.size() == graph->inputs().size(), ErrorKind::Usage,
             "the model has {} inputs but {} --input given", graph->inputs().size(), args->inputs.size());
    std::vector<Tensor> inputs;
    std::int64_t batch = args->batch;
    for (std::size_t i = 0; i < args->inputs.size(); ++i) {
      Tensor t = read_input_tensor(args->inputs[i]);
      const std::int64_t per_sample = graph->type(graph->inputs()[i]).numel();
      if (batch == 0) {
        BF_CHECK(per_sample > 0 && t.numel() % per_sample == 0 && t.numel() > 0, ErrorKind::Invalid,
                 "{}: {} values do not fit input '{}' of shape {}", args->inputs[i], t.numel(),
                 graph->value(graph->inputs()[i]).name, graph->type(graph->inputs()[i]).str());
        batch = t.numel() / per_sample;
      }
      BF_CHECK(t.numel() == batch * per_sample, ErrorKind::Invalid, "{}: {} values, expected {} (batch {} of {})",
               args->inputs[i], t.numel(), batch * per_sample, batch, graph->type(graph->inputs()[i]).str());
      inputs.push_back(std::move(t));
    }
    ForwardOptions options;
    options.compute = parse_dtype(args->dtype);
    options.batch = batch;
    std::vector<Tensor> outputs = run_forward(*graph, inputs, options);
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      std::vector<double> values = outputs[o].to_double_vector();
      for (double v : values) std::printf("%s\n", format_value(v, options.compute).c_str());
      out.push_back({{"name", graph->value(graph->outputs()[o]).name},
                     {"shape", graph->type(graph->outputs()[o]).shape},
                     {"batch", batch},
                     {"values", values}});
    }
    if (!args->json_out.empty()) write_json_file(args->json_out, nlohmann::json{{"outputs", out}});
  });
}

}  // namespace bf::cli
