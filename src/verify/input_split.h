// Complete verification of one case for low-dimensional inputs: branch and
// bound over the input box. Domains (sub-boxes) are bounded many at a time
// (CROWN over a batch of boxes in the compiled executor); a domain is proved
// when every polytope has a row whose lower bound clears its right-hand side
// by the rounding margin; otherwise its centre is tested for a
// counterexample, and it is split in two along one input dimension, chosen by
//   smear  |A[row, d]| * width_d of the hardest polytope's best row (the
//          row's linear bound in x, from the same CROWN call), or
//   gain   the dimension whose halves' bounds improve most (bounding every
//          candidate split: 2 x inputs extra domains per split).
// Hardest domains first; PGD runs inside the hardest ones now and then. The
// queue is capped by the memory budget.
#pragma once

#include <functional>
#include <optional>
#include <random>

#include "verify/case_problem.h"
#include "verify/point_evaluator.h"
#include "verify/recheck.h"
#include "verify/verdict.h"

namespace bf {

struct SplitOutcome {
  Verdict verdict = Verdict::Unknown;  // Unsat (proved), Sat, Timeout, Unknown (queue cap)
  std::optional<Counterexample> counterexample;
};

SplitOutcome input_split(CounterexampleChecker& checker, std::size_t case_index, const CaseProblem& problem,
                         const VerifyOptions& options, PointEvaluator& eval, std::mt19937_64& rng,
                         const std::function<double()>& elapsed_ms, double deadline_ms, VerifyStats& stats);

}  // namespace bf
