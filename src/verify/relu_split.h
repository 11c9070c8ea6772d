// Complete verification of one case for high-dimensional inputs: branch and
// bound over ReLU splits, bounded by beta-CROWN (verify/beta_crown.h).
//   - Root: the case's whole box; intermediate bounds from the caller (alpha-
//     CROWN's, the best the pipeline has); alpha and beta optimised per open row.
//   - A domain is a set of splits and, per row still open, its parameters;
//     children start from their parent's parameters (the new split's beta at 0)
//     and keep, per row, the better of their own and their parent's bound.
//   - Branching: BaBSR's score (the chord intercepts' share of the bound), or
//     filtered smart branching (fsb): the top candidates by that score, each
//     bounded cheaply in both children, the best worst child kept.
//   - Every row a child's f32 bound refutes is bounded again in f64
//     (BetaCrown::lower_f64); only that value proves anything.
//   - The domain store is ordered hardest first (best-first); it is capped in
//     bytes (--domain-store, default a quarter of the memory budget): above
//     3/4 of the cap it takes the deepest domains first (depth-first) until it
//     is back under half, and it never grows past the cap (the case ends
//     `unknown`).
//   - Attacks: the minimisers of the hardest domains' bounds are evaluated
//     every round; now and then PGD restarts from them over the whole box, and
//     inside the hardest open domains with their splits as a penalty
//     (verify/domain_attack.h).
// Batches: as many (domain, row) items per call as the memory budget holds.
#pragma once

#include <functional>
#include <random>

#include "verify/input_split.h"
#include "verify/relu_network.h"

namespace bf {

struct ReluRootBounds {
  std::vector<std::vector<float>> lower, upper;  // every z_k over the case's box
};

// `give_way`, where given, is asked once per round with the share of the
// search space closed so far (a proved or infeasible domain with d splits
// closes 2^-d of it); true ends the search there as a timeout (the caller
// refines the root's bounds and starts again). stats.split_closed says the share.
SplitOutcome relu_split(CounterexampleChecker& checker, std::size_t case_index, const CaseProblem& problem,
                        const ReluNetwork& net, const ReluRootBounds& root, const VerifyOptions& options,
                        PointEvaluator& eval, std::mt19937_64& rng, const std::function<double()>& elapsed_ms,
                        double deadline_ms, VerifyStats& stats,
                        const std::function<bool(double closed)>& give_way = {});

}  // namespace bf
