// Complete verification of one case for high-dimensional inputs: branch and
// bound over ReLU splits, bounded by beta-CROWN through the planned program
// (methods/branch_bounds.h), on any graph the CROWN rules cover.
//   - Root: the case's whole box; intermediate bounds from the caller (alpha-
//     CROWN's, the best the pipeline has); alpha and beta optimised per open row.
//   - A domain is a set of splits and, per row still open, its parameters;
//     children start from their parent's parameters (the new split's beta at 0)
//     and keep, per row, the better of their own and their parent's bound.
//   - Branching: BaBSR's score (the chord intercepts' share of the bound, read
//     off the program's A at every ReLU), or filtered smart branching (fsb): the
//     top candidates by that score, each bounded cheaply in both children, the
//     best worst child kept.
//   - Proofs: every row a child's f32 bound refutes is bounded again by the
//     sound f64 program from the sound root bounds (docs/soundness.md); only
//     that bound proves anything (--fast-unsound-fp: the f32 bound and the margin).
//   - The domain store is ordered hardest first (best-first); it is capped in
//     bytes (--domain-store, default a quarter of the memory budget): above
//     3/4 of the cap it takes the deepest domains first (depth-first) until it
//     is back under half, and it never grows past the cap (the case ends
//     `unknown`).
//   - Attacks: the minimisers of the hardest domains' bounds are evaluated
//     every round; now and then PGD restarts from them over the whole box, and,
//     where the network has a dense form (verify/relu_network.h), inside the
//     hardest open domains with their splits as a penalty (verify/domain_attack.h).
#pragma once

#include <functional>
#include <random>

#include "bound/input_region.h"
#include "verify/input_split.h"
#include "verify/relu_network.h"

namespace bf {

// What the search bounds with: the graph, and the case's box's bounds of every
// intermediate value (by name), for the search (f32) and, with sound floating
// point, for the proofs (sound, f64).
struct ReluSplitSetup {
  std::shared_ptr<const Graph> graph;
  const std::vector<OutputBounds>* root = nullptr;
  const std::vector<OutputBounds>* sound_root = nullptr;  // null: --fast-unsound-fp
  const ReluNetwork* dense = nullptr;                     // the dense form, where the network has one (attacks)
};

// `give_way`, where given, is asked once per round with the share of the
// search space closed so far (a proved or infeasible domain with d splits
// closes 2^-d of it); true ends the search there as a timeout (the caller
// refines the root's bounds and starts again). stats.split_closed says the share.
SplitOutcome relu_split(CounterexampleChecker& checker, std::size_t case_index, const CaseProblem& problem,
                        const ReluSplitSetup& setup, const VerifyOptions& options, PointEvaluator& eval,
                        std::mt19937_64& rng, const std::function<double()>& elapsed_ms, double deadline_ms,
                        VerifyStats& stats, const std::function<bool(double closed)>& give_way = {});

}  // namespace bf
