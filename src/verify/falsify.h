// Falsification: random points of a case's box, then PGD on the property's
// violation margin (several restarts, each aiming at one polytope), with
// gradients from our own reverse pass (point_evaluator.h). Every candidate is
// re-checked in f64 (recheck.h) before it counts.
#pragma once

#include <functional>
#include <optional>
#include <random>

#include "frontend/vnnlib/vnnlib.h"
#include "verify/case_problem.h"
#include "verify/counterexample.h"
#include "verify/point_evaluator.h"
#include "verify/recheck.h"

namespace bf {

struct FalsifyBudget {
  std::int64_t samples = 512;  // random points first
  int restarts = 8;            // PGD restarts per polytope (one call of the evaluator's batch)
  int steps = 40;
  // Output-diversified starts: steps of half the box along a random
  // combination of the rows before PGD (random starts only; 0: none).
  int odi_steps = 0;
  double deadline_ms = 0.0;  // give up past this elapsed time (0: none)
  // Polytopes worth attacking (empty: all); bounds show the others cannot hold.
  std::vector<bool> targets;
  // PGD starts the caller chooses (count x inputs, clamped to the box): they
  // take the place of the first random starts (relu split passes the
  // minimisers of its hardest subdomains' bounds).
  std::vector<double> starts;
};

struct FalsifyStats {
  std::int64_t samples = 0, steps = 0;
  double best_margin = 0.0;  // the smallest violation margin seen (<= 0 would violate)
};

// Searches the box [lower, upper] (a case's box or a sub-box of it).
// `elapsed_ms` tells the time so far; a found counterexample is already re-checked.
std::optional<Counterexample> falsify_box(CounterexampleChecker& checker, std::size_t case_index,
                                          const CaseProblem& problem, const std::vector<double>& lower,
                                          const std::vector<double>& upper, PointEvaluator& eval,
                                          const FalsifyBudget& budget, std::mt19937_64& rng,
                                          const std::function<double()>& elapsed_ms, FalsifyStats& stats);

}  // namespace bf
