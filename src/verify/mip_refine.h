// Tighter root bounds of a dense ReLU network's intermediate values
// (verify/relu_network.h) by mixed-integer programs, solved by COIN-OR CBC.
//
// alpha-CROWN's intermediate bounds are those of the triangle relaxation (the
// LP optimum for bounds fixed layer by layer); on deep, wide networks at large
// eps that is far from the truth and branch and bound cannot close the gap.
// Here every neuron of layer k >= 1 still unstable is minimised and maximised
// over the exact encoding of the layers before it: a binary per unstable ReLU
// (big-M with the bounds known so far), stable ReLUs as the identity or zero,
// the input box as variable bounds. Layers go in order, so each one's program
// uses the bounds just refined below it, and after each layer CROWN bounds
// every later layer again through them (fewer unstable neurons to program).
//
// Soundness: a bound is the solver's best possible objective (its proven
// bound, not a solution's value) widened by a margin for its tolerances, and
// kept only if tighter than the old one. It is then checked against the
// network evaluated in f64 at the solver's best point (a true value of the
// neuron over the box must lie inside): a bound that fails is dropped and
// counted. A program stopped by its time limit still gives a sound bound.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "verify/relu_network.h"

namespace bf {

// CBC's solve is not thread-safe (measured: solves of separate models on two
// threads came back unsolved, status -1), so the programs of a layer run in
// `processes` processes: this one and forked children, sharing the neurons to
// do and their results through shared memory.
struct MipRefineOptions {
  double neuron_seconds = 0.2;  // time limit of one program (a program stopped there still gives a sound bound)
  std::int64_t max_nodes = -1;  // branch-and-bound nodes of one program (-1: the solver's default; 0: the root)
  int processes = 1;            // programs solved at once
  std::function<bool()> stop;   // true: stop refining now (a deadline), asked between programs (in every process)
  // Sound floating point: the programs encode the dense layers (verify/relu_network.h), which may stand off
  // the exact network by their deviations; their big-M bounds and results are widened by how far that lets a
  // neuron move (docs/soundness.md).
  bool sound = false;
  // The CROWN pass after each layer, the caller's (through the planned
  // program, sound where `sound`): every z_k bounded again through the bounds
  // just refined, the tighter kept; returns the neurons it made stable.
  std::function<std::int64_t(std::vector<std::vector<float>>& lo, std::vector<std::vector<float>>& hi)> tighten;
};

struct MipRefineStats {
  std::int64_t programs = 0;          // programs solved (a neuron and a side each)
  std::int64_t optimal = 0;           // ... proven optimal (the rest stopped on time)
  std::int64_t tightened = 0;         // bounds made tighter
  std::int64_t stabilised = 0;        // neurons unstable before and stable after
  std::int64_t crown_stabilised = 0;  // ... made stable by the CROWN pass after a layer
  std::int64_t failed_checks = 0;     // bounds dropped: the network's value at the solver's point lay outside
  std::int64_t layers = 0;            // layers refined (all their unstable neurons)
  int processes = 0;                  // processes that solved programs (fewer than asked: a fork failed)
  double seconds = 0.0;
};

// Refines `lo`/`hi` (every z_k, k < relu_layers, over the box [lower, upper])
// in place, layer 1 onwards, until every layer is done or `options.stop()`.
// The bounds depend on the time limit (a program stopped on time keeps the
// bound it had reached): not bit-reproducible across machines or loads.
MipRefineStats mip_refine(const ReluNetwork& net, const std::vector<double>& lower, const std::vector<double>& upper,
                          std::vector<std::vector<float>>& lo, std::vector<std::vector<float>>& hi,
                          const MipRefineOptions& options);

}  // namespace bf
