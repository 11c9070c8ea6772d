// PGD inside one ReLU-split subdomain (verify/relu_split.h), on the dense form
// (verify/relu_network.h) in f64. It descends the case's violation margin
// (the least over polytopes of their largest row value - rhs; <= 0 violates)
// plus a penalty that pushes every split ReLU input to its side,
//   margin(x) + penalty * sum over splits of max(0, -sign * z(x)),
// by signed-gradient steps projected onto the box, the step shrinking each
// time. The split constraints steer the search into the subdomain whose
// bound is weakest, and the point returned is the best inside it where one
// was reached; any point of the box that violates the property is a
// counterexample whether or not it meets them (the caller evaluates the
// returned point on the network and re-checks it in f64).
#pragma once

#include <cstdint>
#include <vector>

#include "verify/case_problem.h"
#include "verify/relu_network.h"

namespace bf {

// A split of the dense form: z_layer[neuron] >= 0 (sign +1) or <= 0 (sign -1).
struct ReluSplit {
  std::int32_t layer = 0, neuron = 0;
  std::int8_t sign = 1;
};

struct DomainAttackOptions {
  int steps = 20;
  double penalty = 10.0;     // per unit of a split input on the wrong side
  double first_step = 0.25;  // of the box's width; times `decay` after every step
  double decay = 0.85;
};

struct DomainAttackResult {
  std::vector<double> x;           // the point of least margin seen (the start included)
  double margin = 0.0;             // its violation margin on the dense form
  std::int64_t splits_missed = 0;  // splits it leaves on the wrong side
};

DomainAttackResult attack_domain(const ReluNetwork& net, const CaseProblem& problem,
                                 const std::vector<ReluSplit>& splits, const std::vector<double>& start,
                                 const DomainAttackOptions& options);

}  // namespace bf
