// What `boundflow verify` answers, VNN-COMP's vocabulary: `sat` (a
// counterexample exists: one is given, re-checked in f64), `unsat` (the
// property holds: proved from finite bounds with a rounding margin), `timeout`,
// `unknown` (bounds and attacks exhausted), `error`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "methods/alpha_options.h"
#include "verify/counterexample.h"

namespace bf {

enum class Verdict : std::uint8_t { Sat, Unsat, Timeout, Unknown, Error };
const char* verdict_name(Verdict v);

enum class SplitHeuristic : std::uint8_t { Smear, Gain };
const char* split_heuristic_name(SplitHeuristic h);

struct VerifyOptions {
  double timeout_s = 300.0;     // wall time for the whole verification
  std::string method = "auto";  // bounds: auto (CROWN, alpha-CROWN where it pays), crown, alpha-crown
  std::int64_t max_memory = 0;  // bytes (0: the default budget)
  int jobs = 0;                 // threads (0: the default)
  std::uint64_t seed = 0;       // attacks' random numbers
  // Input-split branch and bound: on inputs of at most this many elements.
  std::int64_t max_split_inputs = 64;
  std::int64_t split_batch = 256;  // domains bounded per call
  SplitHeuristic split = SplitHeuristic::Smear;
  bool recheck_unsat_f64 = false;  // re-bound every proved domain in f64 before answering unsat
  bool progress = false;           // a live progress line on stderr
  AlphaOptions alpha;              // for alpha-CROWN bounds
};

struct VerifyStats {
  double falsify_ms = 0.0, bound_ms = 0.0, split_ms = 0.0;
  std::int64_t domains_bounded = 0, domains_proved = 0, attack_steps = 0, samples = 0;
  double proved_volume = 0.0;  // fraction of the input volume proved (input split)
  double open_slack = 0.0;     // input split: the hardest open domain's slack (best row lower bound - rhs)
  double open_width = 0.0;     // ... and its largest side
  std::string decided_by;      // what found the verdict: "sampling", "pgd", "bounds", "input split", ...
};

struct VerifyResult {
  Verdict verdict = Verdict::Unknown;
  Counterexample counterexample;  // sat only: x and y(x) in f64
  std::string message;            // error: why; else a short account
  VerifyStats stats;
};

// The result file VNN-COMP expects: the verdict's line, then for sat the counterexample.
std::string format_result(const VerifyResult& r);

}  // namespace bf
