// boundflow: the command-line interface. Every failure ends with one line on
// stderr naming the file and the problem, and a non-zero exit code:
// 1 for bad input or unsupported models, 2 for bad usage, 3 for internal errors.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <new>

#include "commands.h"
#include "support/error.h"

int main(int argc, char** argv) {
  CLI::App app{"BoundFlow: certified output bounds for neural networks (ONNX in, bounds out)", "boundflow"};
  app.require_subcommand(1);
  // Usage errors are one line too, like every other error.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("boundflow: error: ") + e.what() + " (see --help)\n";
  });
  app.set_version_flag("--version", "boundflow 0.1.0");
  bf::cli::add_dump_ir_command(app);
  bf::cli::add_run_command(app);
  bf::cli::add_bounds_command(app);
  bf::cli::add_plan_command(app);
  bf::cli::add_bench_command(app);
  bf::cli::add_verify_command(app);
  bf::cli::add_run_suite_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const bf::Error& e) {
    std::fprintf(stderr, "boundflow: error: %s\n", e.what());
    if (e.kind() == bf::ErrorKind::Usage) return 2;
    return e.kind() == bf::ErrorKind::Internal ? 3 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "boundflow: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boundflow: internal error: %s\n", e.what());
    return 3;
  }
  return 0;
}
