#include "cli_checks.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "methods/memory_budget.h"
#include "support/error.h"

namespace bf::cli {
namespace {

// Shortest readable text of a limit: 0, 1, 0.5, 1e-06.
std::string show(double v) { return fmt::format("{:g}", v); }

// The given text, cut short if someone pasted a page into an option.
std::string got(const std::string& text) {
  constexpr std::size_t kMax = 40;
  return "(got " + (text.size() > kMax ? text.substr(0, kMax) + "..." : text) + ")";
}

}  // namespace

CLI::Validator finite_number(double min, double max) {
  std::string want = "must be a finite number";
  if (std::isinf(min) && std::isinf(max)) {
    // any finite value
  } else if (std::isinf(max)) {
    want += " >= " + show(min);
  } else if (std::isinf(min)) {
    want += " <= " + show(max);
  } else {
    want += " from " + show(min) + " to " + show(max);
  }
  return CLI::Validator(
      [want, min, max](std::string& text) -> std::string {
        const char* begin = text.c_str();
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(begin, &end);
        const bool parsed = end != begin && *end == '\0' && errno != ERANGE;
        if (!parsed || !std::isfinite(v) || v < min || v > max) return want + " " + got(text);
        return {};
      },
      want, "FINITE_NUMBER");
}

CLI::Validator integer(std::int64_t min, std::int64_t max) {
  std::string want = "must be a whole number";
  if (max == std::numeric_limits<std::int64_t>::max()) {
    want += " >= " + std::to_string(min);
  } else {
    want += " from " + std::to_string(min) + " to " + std::to_string(max);
  }
  return CLI::Validator(
      [want, min, max](std::string& text) -> std::string {
        const char* begin = text.c_str();
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(begin, &end, 10);
        const bool parsed = end != begin && *end == '\0' && errno != ERANGE;
        if (!parsed || v < min || v > max) return want + " " + got(text);
        return {};
      },
      want, "INTEGER");
}

CLI::Validator one_of(std::vector<std::string> choices) {
  std::string want = "must be one of ";
  for (std::size_t i = 0; i < choices.size(); ++i) want += (i ? ", " : "") + choices[i];
  return CLI::Validator(
      [want, choices](std::string& text) -> std::string {
        for (const auto& c : choices) {
          if (c == text) return {};
        }
        return want + " " + got(text);
      },
      want, "ONE_OF");
}

CLI::Validator byte_size() {
  const std::string want = "must be a byte count such as 4G, 512M or 100000";
  return CLI::Validator(
      [want](std::string& text) -> std::string {
        try {
          parse_byte_size(text, "");
        } catch (const Error&) {
          return want + " " + got(text);
        }
        return {};
      },
      want, "BYTES");
}

CLI::Option* add_threads_option(CLI::App& cmd, int& threads) {
  return cmd.add_option("--threads", threads, "OpenMP threads (0: the default)")->check(integer(0, kMaxThreads));
}

}  // namespace bf::cli
