// beta-CROWN's steps of a final sweep (docs/relu_split.md): the split
// constraints of a branch-and-bound domain enter the sweep at the inputs z of
// its ReLUs, and the branching scores are read off the sweep's own A.
//
// A domain's constraints are what its interval of z says: where l >= 0, z >= 0
// holds on the domain (an active split, or a neuron stable there), and where
// u <= 0, z <= 0 holds. For a row's lower bound,
//     min_x f(x)  >=  min_x f(x) + k z(x)   with k <= 0 where z >= 0 holds,
//                                          k >= 0 where z <= 0 holds,
// (beta = |k| is the constraint's Lagrange multiplier) and mirrored for the
// upper bound; elsewhere k = 0. So beta is one parameter per (row, splittable
// element of z) and side, clamped into that range from the interval inside the
// step: whatever the optimiser proposes, the bound stays a bound.
//
// Only the elements a search may split (those unstable over its root box,
// `BranchElements`) carry parameters and scores: the buffers are [rows,
// elements.size()] per side (AlphaView with one parameter per element), entry
// j standing for element elements[j] of z.
#pragma once

#include <cstdint>
#include <vector>

#include "bound/linear/linear_view.h"

namespace bf {

struct BranchElements {
  const std::int64_t* elements = nullptr;  // ascending elements of z
  std::int64_t count = 0;
  std::int64_t value_elements = 0;  // elements of z per sample
};

// A at z (dense rows) += k at the branch elements, per side, k first clamped
// into its range (and written back clamped; NaN counts as 0). `z`: the
// domains' interval of z, [batch, value_elements] planes.
void apply_beta(const SweepChunk& chunk, DType dtype, const LinearView& a_z, const AlphaView& beta, IntervalView z,
                const BranchElements& at);

// The gradient of each row's bound by k: the relaxed network's value at z (the
// dual D of z, dense rows) at the branch elements, per side.
void beta_gradient(const SweepChunk& chunk, DType dtype, const LinearView& d_z, const AlphaView& grad,
                   const BranchElements& at);

// BaBSR's branching score of every branch element whose interval crosses zero,
// from the lower side's A at the ReLU's output: how much the chord's intercept
// lowers the row's bound (-a * icpt where a < 0; a small positive tie-break
// otherwise), 0 elsewhere. Written at row slots[r] of `score`'s lower plane.
void branch_scores(const SweepChunk& chunk, DType dtype, const LinearView& a_out, IntervalView z,
                   const AlphaView& score, const BranchElements& at);

}  // namespace bf
