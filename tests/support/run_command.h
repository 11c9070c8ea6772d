// Running the boundflow binary from tests: exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace bf::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `args` (argv, no shell) with a time limit; a command still running after
// `timeout_seconds` is killed and reported with exit_code -2.
CommandResult run_command(const std::vector<std::string>& args, int timeout_seconds = 120);

// Path of the boundflow binary of this build.
std::string boundflow_binary();

}  // namespace bf::test
