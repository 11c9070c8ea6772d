// Each subcommand registers itself on the app; its callback does the work and
// throws bf::Error on failure (main() turns that into one line and exit 1).
#pragma once

namespace CLI {
class App;
}

namespace bf::cli {

void add_dump_ir_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_bounds_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_run_suite_command(CLI::App& app);

}  // namespace bf::cli
