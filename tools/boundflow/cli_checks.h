// Option validators with short messages a person can read. CLI11's own checks
// print their full range (for a double, hundreds of digits of DBL_MAX) and type
// names; these parse the text themselves and say what was expected and what was
// given, e.g. "--eps: must be a finite number >= 0 (got inf)".
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace bf::cli {

// OpenMP threads above this are refused: each one reserves a stack, and far more
// threads than cores only slows the run down (100000 crashed inside the runtime).
inline constexpr std::int64_t kMaxThreads = 1024;

// A finite number in [min, max] (an infinite limit: no limit on that side).
CLI::Validator finite_number(double min = -std::numeric_limits<double>::infinity(),
                             double max = std::numeric_limits<double>::infinity());
// A whole number in [min, max].
CLI::Validator integer(std::int64_t min, std::int64_t max = std::numeric_limits<std::int64_t>::max());
// One of the listed words.
CLI::Validator one_of(std::vector<std::string> choices);

// A byte count: a whole number with an optional K, M, G or T suffix (powers of 1024).
CLI::Validator byte_size();

// --threads N (0 = the OpenMP default), checked against kMaxThreads.
CLI::Option* add_threads_option(CLI::App& cmd, int& threads);

}  // namespace bf::cli
