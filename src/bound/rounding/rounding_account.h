// The rounding account of a bound program (docs/soundness.md, "Sound floating
// point"): the steps that make IBP and CROWN bounds computed in floating point
// hold in exact real arithmetic. Two ops of the program use it:
//
//   Account (forward, once per node y = f(x, constants)): bounds, per sample
//     and element of y,
//       R  >= |y| and >= what the node's rules sum in absolute value for that
//             element (|W| M + |b| for an affine op, M bounding |x| elementwise);
//       B  >= the absolute values of the constant terms the backward rule adds
//             to the bias for that element (|b|; a relaxation's |intercepts|);
//     from the magnitudes M of the node's activation inputs (the interval of x
//     when the program has one, else R of x's producer) by the magnitude rule
//     of rounding_rules.h. It also widens the interval an interval op just
//     wrote for y by gamma(ibp terms) R (+ underflow), so the interval holds
//     the exact image of the input box.
//   Charge (in a sweep, before the node's backward op): the backward rule maps
//     A_y to A_x = fl(A_y J) and adds fl(A_y b) to the bias; in exact arithmetic
//     A_y y = A_x x + A_y b + (A_y J - A_x) x, and the rounding terms are at most
//       gamma(backward terms) |A_y| R + gamma(n_y + 2) (|A_y| B + |bias|) + underflow
//     per row, which the charge subtracts from the lower bias (adds to the upper).
//
// Concretize's own rounding is accounted in concretize_rows (concretize.h).
// The account planes are [batch, numel(y) + 1] each: element numel(y) of the R
// plane holds the sum of the inputs' magnitudes (the underflow terms). The
// second plane leaves account_node as C = f.r R + f.b B (ChargeFactors, rounded
// up): B is read by the node's charges only, and they need that sum.
#pragma once

#include <cstdint>
#include <span>

#include "bound/interval_ops.h"
#include "bound/linear/linear_view.h"

namespace bf {

// One operand of the node whose account is computed: constants as they are;
// an activation's interval planes when the program has them (`ibp.bounds`),
// else the R plane of its producer's account (`magnitude`).
struct AccountOperand {
  IbpOperand ibp;
  const void* magnitude = nullptr;
};

struct AccountArgs {
  const Node& node;
  const Graph& graph;
  std::span<const AccountOperand> inputs;
  const Shape& out_shape;  // per-sample shape of y
  DType dtype;
  std::int64_t batch;
  RelaxView relax;    // relaxed nodes (Relaxation magnitude rule): the lines
  IntervalOut widen;  // when set: y's interval, just computed by the interval rule
  void* account;      // the two planes written
  // One account for the whole batch (PlannerConfig::batch_account): computed
  // once from the elementwise largest magnitudes and |lines| of the samples,
  // then copied to each. Every magnitude rule is monotone in those, so each
  // sample's own R and B are at most these. Not for MaxPool (its lines name
  // elements) nor where an interval is widened (per sample by nature).
  bool batch_max = false;
};

// Bytes of scratch account_node takes for this node (magnitudes, interval
// rule outputs and the rule's own scratch).
std::int64_t account_scratch_bytes(const AccountArgs& a);

void account_node(const AccountArgs& a, AbsWeightCache& abs_cache, void* scratch, std::int64_t scratch_bytes);

// gamma factors of a node's charge: on |A| R and on |A| B + |bias|, and the
// underflow term per unit of the magnitudes' sum.
struct ChargeFactors {
  double r = 0.0, b = 0.0, underflow = 0.0;
};
ChargeFactors charge_factors(const Graph& graph, const Node& node, DType dtype);

// The charge for one chunk of rows: A of the node's output, its account
// planes ([batch, numel + 1]), the bias updated in place.
void charge_rows(const SweepChunk& chunk, DType dtype, const LinearView& at_output, const void* account,
                 const ChargeFactors& f, const BiasView& bias);

}  // namespace bf
