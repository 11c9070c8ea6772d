// boundflow dump-ir MODEL: the primal IR as imported (or normalised), in the
// stable textual form of bf::print_graph.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "frontend/onnx/onnx_importer.h"
#include "ir/printer.h"
#include "transform/normalize.h"

namespace bf::cli {

void add_dump_ir_command(CLI::App& app) {
  struct Args {
    std::string model;
    bool normalize = false;
    bool print_after_each = false;
    std::vector<std::string> skip;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("dump-ir", "print the primal IR of an ONNX model (stable text, diffable)");
  cmd->add_option("MODEL", args->model, "ONNX model (.onnx or .onnx.gz)")->required();
  cmd->add_flag("--normalize", args->normalize, "run the normalisation pipeline before printing");
  cmd->add_flag("--print-after-each", args->print_after_each,
                "with --normalize: print the IR before and after every pass");
  cmd->add_option("--skip-pass", args->skip, "with --normalize: leave out this pass (repeatable)");
  cmd->callback([args] {
    Graph graph = import_onnx(args->model);
    if (!args->normalize) {
      std::fputs(print_graph(graph).c_str(), stdout);
      return;
    }
    NormalizeOptions options;
    options.skip = args->skip;
    options.capture_dumps = args->print_after_each;
    PassReport report;
    try {
      report = normalize(graph, options);
    } catch (Error& e) {
      e.with_file(args->model);
      throw;
    }
    if (args->print_after_each) {
      std::printf("// ---- input\n%s", report.dump_before.c_str());
      for (const auto& p : report.passes) {
        if (!p.skipped) std::printf("// ---- after %s\n%s", p.name.c_str(), p.dump_after.c_str());
      }
      return;
    }
    std::fputs(print_graph(graph).c_str(), stdout);
  });
}

}  // namespace bf::cli
