// beta-CROWN over a dense ReLU network (verify/relu_network.h) for many
// subdomains at once. A subdomain is the input box plus ReLU splits (z >= 0 or
// z <= 0 on pre-activations) and its own bounds of every z_k; an item is one
// (subdomain, spec row) pair with its own parameters: alpha (the lower line's
// slope, in [0, 1]) for every unstable neuron it leaves unsplit, beta (>= 0,
// the split constraint's Lagrange multiplier) for every neuron it splits.
//   - Intermediate bounds (tighten): every z_k (k >= 1) still unstable in a
//     subdomain is bounded again by a CROWN sweep through the subdomain's
//     relaxations, split neurons taken exactly, layer after layer; a neuron
//     whose bounds cross (lower above upper by the rounding margin) proves the
//     split set infeasible, and the subdomain is pruned.
//   - The rows' lower bounds,
//       min_x r(x)  >=  min_x  r(x) - sum_splits beta_j s_j z_j(x)
//     (s_j z_j >= 0 wherever the split holds), through CROWN's relaxation of
//     the unsplit unstable ReLUs; gradients by alpha and beta from our reverse
//     pass over the sweep; Adam ascends them (docs/relu_split.md). An
//     infeasible split set also shows as a bound that grows without limit.
// Every sweep of a call is one [items, neurons] matrix per layer (kernels/rowwise_gemm).
#pragma once

#include <cstdint>
#include <vector>

#include "verify/relu_network.h"

namespace bf {

struct ReluSplit {
  std::int32_t layer = 0, neuron = 0;
  std::int8_t sign = 1;  // +1: z >= 0, -1: z <= 0
};

class BetaCrown {
 public:
  // `lower`/`upper`: the input box; `root_lo`/`root_hi`: the bounds of every
  // z_k (k < relu_layers) over the whole box. `sound` (sound floating point,
  // docs/soundness.md): the intermediate bounds tighten() computes and the
  // bounds lower_f64() gives hold in exact arithmetic for the network the
  // dense layers stand for (their rounding and the dense layers' deviations
  // from it charged, every chord's intercept made sound); the root bounds
  // must be sound already. The f32 sweeps of bound() stay plain: they only
  // claim what lower_f64 then proves.
  BetaCrown(const ReluNetwork& net, const std::vector<double>& lower, const std::vector<double>& upper,
            std::vector<std::vector<float>> root_lo, std::vector<std::vector<float>> root_hi, bool sound = false);

  // Neurons unstable over the whole box, (layer, neuron): the only ones a split
  // or a parameter concerns; an item's parameters are indexed like this list.
  const std::vector<std::pair<std::int32_t, std::int32_t>>& unstable() const { return unstable_; }
  std::int64_t unstable_index(std::int32_t layer, std::int32_t neuron) const;
  std::int64_t neurons() const { return neurons_; }
  // The root's bounds of every ReLU input, by global neuron index.
  void root_bounds(std::vector<float>& lo, std::vector<float>& hi) const;

  struct Domain {
    const std::vector<ReluSplit>* splits = nullptr;
    std::vector<float>* lo = nullptr;  // neurons(): in, and (tighten) out
    std::vector<float>* hi = nullptr;
  };
  struct Item {
    std::int64_t domain = 0;               // index into the call's domains
    std::int64_t row = 0;                  // spec row
    std::vector<float>* params = nullptr;  // unstable().size(): in (NaN: default) and out
  };
  struct Result {
    std::vector<double> lower;     // per item: a sound lower bound of its row over its subdomain
    std::vector<char> infeasible;  // per domain: its splits cannot all hold (tighten)
    std::vector<float> scores;     // per item x unstable(): branching scores (0: split or stable)
    std::vector<double> points;    // per item x inputs: a minimiser of the final linear bound over the box
  };
  struct Options {
    int iterations = 0;              // Adam steps (0: one bound with the given parameters)
    bool tighten = false;            // bound the intermediate values again first
    std::int64_t tighten_chunk = 0;  // sweeps per call of the tightening (0: what 128 MiB holds)
    double lr_alpha = 0.1, lr_beta = 0.05;
    bool scores = false, points = false;
  };
  void bound(const std::vector<Domain>& domains, const std::vector<Item>& items, const Options& options,
             Result& result) const;

  // The lower bounds of `items` computed again in f64 (no steps, the items'
  // parameters as they are, the chords from the domains' bounds in f64): what a
  // proof rests on. The f32 sweep's rounding can exceed the unsat margin when
  // many large terms cancel; this sweep's cannot.
  std::vector<double> lower_f64(const std::vector<Domain>& domains, const std::vector<Item>& items) const;

  // Work memory of one item in a call, in bytes (the caller sizes batches by it).
  std::int64_t bytes_per_item() const;

 private:
  struct State;
  void prepare(const std::vector<Domain>& domains, State& s) const;
  void refresh(const std::vector<Domain>& domains, std::int64_t d, std::int64_t layer, State& s) const;
  // An item's alpha and beta by global neuron (beta zeroed by the caller).
  void item_parameters(const State& s, const Item& it, float* alpha, float* beta) const;
  void tighten(const std::vector<Domain>& domains, State& s, Result& result, std::int64_t chunk_items) const;

  const ReluNetwork& net_;
  std::vector<double> centre_, radius_;
  std::vector<float> root_lo_, root_hi_;  // by global neuron index
  std::vector<std::int64_t> offset_;      // first global index of each ReLU layer
  std::vector<std::int64_t> layer_of_;    // global index -> layer
  std::int64_t neurons_ = 0;
  std::vector<std::pair<std::int32_t, std::int32_t>> unstable_;
  std::vector<std::int64_t> unstable_at_;  // global neuron -> index in unstable_, or -1
  bool sound_ = false;
  std::vector<double> input_magnitude_;  // max(|lower|, |upper|) per input
};

}  // namespace bf
