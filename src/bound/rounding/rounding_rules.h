// How each op's bound rules round, in one table indexed by OpKind: what the
// rounding account (rounding_account.h) needs to widen an interval rule's
// result and to charge a backward rule's rounding to the rows' bias.
//
//   ibp       terms summed (or rounded operations chained) into one element of
//             the interval rule's result; 0 when the rule only compares and
//             copies (max, min, data movement, negation): exact in floating point.
//   backward  the same for one coefficient of A at the op's input (its
//             fan-out: how many output coefficients add into it); 0 when the
//             backward rule only copies, negates or scatters A and adds no
//             constant to the bias, so it needs no charge at all.
//   magnitude how the account bounds |y| and the constant terms of y over the
//             region (rounding_account.h): the interval rule on the symmetric
//             box [-M, M] (every op affine or monotone in its activations), the
//             BatchNormalization formula, or the node's relaxation lines.
//
// The error bound of a rule with n terms is gamma(n) times the sum of the
// magnitudes of the terms (rounding.h). Counts may overestimate (a looser, still
// sound bound); they must never underestimate. A unit test checks that every op
// has an entry and that the counts bound what the rules compute.
#pragma once

#include <cstdint>

#include "ir/graph.h"

namespace bf {

// How an Account op bounds a node's magnitudes: by its interval rule on
// [-M, M]; BatchNorm's per-channel form; from its relaxation's lines; or Copy,
// for views that keep every element in its row-major place and compute
// nothing (R = M, B = 0).
enum class MagnitudeRule : std::uint8_t { Interval, BatchNorm, Relaxation, Copy };

struct RoundingTerms {
  std::int64_t ibp = 0;
  std::int64_t backward = 0;
};

struct RoundingRule {
  OpKind op;
  RoundingTerms (*terms)(const Graph& graph, const Node& node);
  MagnitudeRule magnitude;
};

const RoundingRule& rounding_rule(OpKind op);

// The node's counts, plus for the backward rule the accumulations into A at
// its inputs when an input has several readers (each adds one more rounding).
RoundingTerms rounding_terms(const Graph& graph, const Node& node);

}  // namespace bf
