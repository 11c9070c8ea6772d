#include "verify/verdict.h"

namespace bf {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Sat:
      return "sat";
    case Verdict::Unsat:
      return "unsat";
    case Verdict::Timeout:
      return "timeout";
    case Verdict::Unknown:
      return "unknown";
    case Verdict::Error:
      return "error";
  }
  return "?";
}

const char* split_heuristic_name(SplitHeuristic h) { return h == SplitHeuristic::Smear ? "smear" : "gain"; }

const char* bab_kind_name(BabKind k) { return k == BabKind::Auto ? "auto" : (k == BabKind::Input ? "input" : "relu"); }

const char* relu_branching_name(ReluBranching b) { return b == ReluBranching::Babsr ? "babsr" : "fsb"; }

std::string format_result(const VerifyResult& r) {
  std::string out = std::string(verdict_name(r.verdict)) + "\n";
  if (r.verdict == Verdict::Sat) out += format_counterexample(r.counterexample);
  return out;
}

}  // namespace bf
