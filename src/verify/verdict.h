// What `boundflow verify` answers, VNN-COMP's vocabulary: `sat` (a
// counterexample exists: one is given, re-checked in f64), `unsat` (the
// property holds: proved from finite bounds with a rounding margin), `timeout`,
// `unknown` (bounds and attacks exhausted), `error`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "methods/alpha_options.h"
#include "verify/counterexample.h"

namespace bf {

enum class Verdict : std::uint8_t { Sat, Unsat, Timeout, Unknown, Error };
const char* verdict_name(Verdict v);

enum class SplitHeuristic : std::uint8_t { Smear, Gain };
const char* split_heuristic_name(SplitHeuristic h);

// Which branch and bound takes what bounds leave open: auto (input split for
// small inputs, ReLU split otherwise), input, relu.
enum class BabKind : std::uint8_t { Auto, Input, Relu };
const char* bab_kind_name(BabKind k);

// ReLU split's choice of the neuron to split (verify/relu_split.h).
enum class ReluBranching : std::uint8_t { Babsr, Fsb };
const char* relu_branching_name(ReluBranching b);

struct VerifyOptions {
  double timeout_s = 300.0;     // wall time for the whole verification
  std::string method = "auto";  // bounds: auto (CROWN, alpha-CROWN where it pays), crown, alpha-crown
  std::int64_t max_memory = 0;  // bytes (0: the default budget)
  int jobs = 0;                 // threads (0: the default)
  std::uint64_t seed = 0;       // attacks' random numbers
  // Input-split branch and bound: on inputs of at most this many elements.
  std::int64_t max_split_inputs = 64;
  std::int64_t split_batch = 256;  // domains bounded per call
  SplitHeuristic split = SplitHeuristic::Smear;
  // Sound floating point (docs/soundness.md): every proof re-bounded by the
  // sound program, so `unsat` holds in exact real arithmetic. false
  // (--fast-unsound-fp): plain f32 bounds with the heuristic margin.
  bool sound_fp = true;
  // --fast-unsound-fp only: re-bound every proved domain in f64 (plain) before answering unsat.
  bool recheck_unsat_f64 = false;
  // Answer sat for a point that violates the property in exact arithmetic
  // even where f32 evaluation does not show it (verify/recheck.h).
  bool sat_exact = false;
  bool progress = false;  // a live progress line on stderr
  BabKind bab = BabKind::Auto;
  // ReLU-split branch and bound (beta-CROWN).
  ReluBranching relu_branching = ReluBranching::Babsr;
  std::int64_t fsb_candidates = 4;  // candidates fsb bounds per domain
  std::int64_t relu_batch = 1024;   // (domain, row) items per bound call, at most
  int relu_iterations = 10;         // Adam steps per bound call (the root: three times as many)
  double relu_lr_alpha = 0.1, relu_lr_beta = 0.05;
  // Bound every domain's intermediate values again with its splits (off by
  // default: measured slower on mnist_fc, docs/relu_split.md).
  bool relu_tighten = false;
  // Where branch and bound alone, after at least `mip_after_s` seconds (and
  // the case had at least 3 x that), would not close its search space by the
  // deadline at its pace so far (verify/search_pace.h: never with less than
  // 2 x `mip_after_s` left), refine the root's intermediate bounds by
  // mixed-integer programs (verify/mip_refine.h) in at most `mip_share` of the
  // time then left, each program at most `mip_neuron_s` seconds, and split
  // again from them.
  bool mip_refine = true;
  double mip_after_s = 30.0;
  double mip_share = 0.75;
  double mip_neuron_s = 0.2;
  std::int64_t mip_nodes = -1;          // nodes per program (-1: CBC's default)
  std::int64_t domain_store_bytes = 0;  // the domain store's cap (0: a quarter of the memory budget)
  AlphaOptions alpha;                   // for alpha-CROWN bounds
};

struct VerifyStats {
  double falsify_ms = 0.0, bound_ms = 0.0, split_ms = 0.0;
  std::int64_t domains_bounded = 0, domains_proved = 0, attack_steps = 0, samples = 0;
  double proved_volume = 0.0;  // fraction of the input volume proved (input split)
  double open_slack = 0.0;     // input split: the hardest open domain's slack (best row lower bound - rhs)
  double open_width = 0.0;     // ... and its largest side
  std::string decided_by;      // what found the verdict: "sampling", "pgd", "bounds", "input split", ...
  // ReLU split: the domain store's cap and peak, the items per bound call.
  std::int64_t store_cap_bytes = 0, store_peak_bytes = 0, store_peak_domains = 0, open_domains = 0;
  std::int64_t relu_batch_items = 0, relu_unstable = 0;  // items per call; unstable ReLUs over the whole box
  std::int64_t trial_bounds = 0;                         // fsb: cheap bounds of candidate children
  std::int64_t f64_rechecked = 0, f64_rejected = 0;      // relu split: proofs re-bounded soundly, and those that failed
  std::int64_t relu_proved_f32 = 0;                      // ... of them, proved by the f32 sound program
  std::int64_t infeasible_pruned = 0;                    // relu split: domains whose splits cannot all hold
  // relu split's time: the root's bounds and programs, bounding domains, proving them, attacks.
  double relu_setup_ms = 0.0, relu_bound_ms = 0.0, relu_proof_ms = 0.0, relu_attack_ms = 0.0;
  double relu_attack_share = 0.0;  // the attacks' last share of the time (verify/attack_budget.h)
  // Sound floating point: proofs (cases, domains) the sound program confirmed
  // in f32, in f64, and search claims it did not confirm.
  std::int64_t sound_f32 = 0, sound_f64 = 0, sound_rejected = 0;
  std::int64_t sound_f64_skipped = 0;  // claims whose f64 stage the time left could not hold
  std::string sound_unsupported;       // why the network has no sound program (then nothing is proved)
  double split_closed = 0.0;           // relu split: the share of its search space closed (2^-splits per proved domain)
  std::int64_t domain_attacks = 0, domain_attacks_inside = 0;  // relu split: PGD runs inside subdomains, and those
                                                               // whose best point met every split
  // relu split, --mip-refine: programs solved, bounds tightened, neurons made stable, seconds.
  std::int64_t mip_programs = 0, mip_tightened = 0, mip_stabilised = 0, mip_failed_checks = 0;
  std::int64_t mip_layers = 0, mip_layers_to_do = 0;  // layers refined whole, of those that had programs to do
  int mip_processes = 0;                              // processes that solved them
  double mip_s = 0.0;
  bool store_went_depth_first = false;  // the store ran depth-first at some point (memory pressure)
  std::string bab;                      // the branch and bound that ran ("input", "relu"), or why none
};

struct VerifyResult {
  Verdict verdict = Verdict::Unknown;
  Counterexample counterexample;  // sat only: x and y(x) in f64
  std::string message;            // error: why; else a short account
  VerifyStats stats;
};

// The result file VNN-COMP expects: the verdict's line, then for sat the counterexample.
std::string format_result(const VerifyResult& r);

}  // namespace bf
