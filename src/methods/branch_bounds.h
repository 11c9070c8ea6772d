// beta-CROWN for branch and bound over ReLU splits, through the planned CROWN
// program (docs/relu_split.md): each sample of the program's batch is one
// domain (the case's box, its splits, its bounds of every value the program
// bounds), each final-sweep row one (domain, spec row) item with its own alpha
// and beta (State buffers). Any graph the CROWN rules cover: convolutions run
// as convolutions, residual Adds, pooling, Sigmoid/Tanh relaxed, never split.
//   - A split z >= 0 (z <= 0) clips the domain's interval of z at 0, so its
//     ReLU is relaxed by the stable piece and beta's sign range follows
//     (bound/linear/beta_steps.h).
//   - Intermediate bounds: the root's clipped by the splits (or those the
//     caller keeps), and with `tighten` swept again per domain, only ever
//     tightened; a bound that crosses (lower above upper) shows the splits
//     cannot all hold.
//   - One optimiser (methods/adam.h) ascends alpha and beta with the
//     gradients the program's dual ops compute.
//   - The batch (domains per call) is the largest power-of-two fraction of the
//     requested one whose program, with the ladder of smaller ones (1, 2, 4,
//     ... domains, built when a call needs them), fits half the memory budget.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "methods/bound_method.h"

namespace bf {

// An element of a ReLU input that is unstable over the root box: what a split
// or a parameter of an item concerns.
struct BranchNeuron {
  ValueId value = -1;
  std::int64_t element = 0;
};

struct BranchSplit {
  std::int32_t neuron = 0;  // index into BranchBounds::unstable()
  std::int8_t sign = 1;     // +1: z >= 0, -1: z <= 0
};

struct BranchDomain {
  const std::vector<BranchSplit>* splits = nullptr;
  // The domain's bounds of every bounded element (BranchBounds::bounded_elements(),
  // value after value), or null: the root's. The splits clip them.
  const std::vector<float>* lo = nullptr;
  const std::vector<float>* hi = nullptr;
  const std::vector<std::int64_t>* rows = nullptr;  // spec rows to bound
  // Per row: params_per_row() values, alpha then beta over unstable() (NaN
  // alpha: CROWN's line), in; out: those of the row's best bound.
  std::vector<std::vector<float>*> params;
};

struct BranchBoundOptions {
  int iterations = 0;    // Adam steps (0: one bound with the given parameters)
  bool tighten = false;  // sweep the intermediate values again per domain first
  double lr_alpha = 0.1, lr_beta = 0.05;
  bool scores = false;  // BaBSR scores per item and unstable neuron
  bool points = false;  // per item: the box corner its final linear bound is least at
};

struct BranchBoundResult {
  std::vector<double> lower;               // per item (domain after domain, its rows in order): a lower bound
  std::vector<char> infeasible;            // per domain: a bound crossed (tighten)
  std::vector<float> scores;               // per item x unstable()
  std::vector<double> points;              // per item x inputs
  std::vector<std::vector<float>> lo, hi;  // tighten: per domain, its new bounds
};

class BranchBounds {
 public:
  // `request`: graph, spec, the case's box as a one-sample region (its dtype is
  // the program's), sound_fp, max_memory, cache. `root`: the box's bounds of
  // every intermediate value (a CROWN or alpha-CROWN run's, by name); sound
  // ones where the result must be. `max_domains`: domains per call, at most.
  // `optimise` false: no gradients in the program (only bounds with the given
  // parameters, as a proof needs; no Adam steps).
  BranchBounds(const BoundRequest& request, const std::vector<OutputBounds>& root, std::int64_t max_domains,
               bool optimise = true);
  ~BranchBounds();
  BranchBounds(const BranchBounds&) = delete;
  BranchBounds& operator=(const BranchBounds&) = delete;

  const std::vector<BranchNeuron>& unstable() const;
  std::int64_t unstable_index(ValueId value, std::int64_t element) const;  // -1: not unstable
  std::int64_t params_per_row() const { return 2 * static_cast<std::int64_t>(unstable().size()); }
  std::int64_t domains_per_call() const;
  std::int64_t rows_per_domain() const;
  std::int64_t bounded_elements() const;
  // Where a value's elements start in a domain's bounds (-1: the program does not bound it).
  std::int64_t bounded_offset(ValueId value) const;
  std::int64_t inputs() const;
  std::int64_t planned_bytes() const;
  // The root's bounds of every bounded element, rounded outward to f32.
  void root_bounds(std::vector<float>& lo, std::vector<float>& hi) const;

  // At most domains_per_call() domains.
  BranchBoundResult bound(const std::vector<BranchDomain>& domains, const BranchBoundOptions& options);

  struct Impl;  // branch_bounds.cpp's: the programs, the root, the splittable neurons

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bf
