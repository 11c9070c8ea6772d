// The last word before a case (or a domain of it) counts as proved: its rows
// bounded again by the sound program (docs/soundness.md, "Sound floating
// point"), whose bounds hold in exact real arithmetic on the network's own
// constants. The search computes in f32 with round-to-nearest, fast and
// usually within 1e-6 of the truth; what it claims is proved here, in f32 with
// the rounding account first (cheap), then in f64 for the claims f32's account
// is too coarse for (deep networks, margins near zero, cancelling terms).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "methods/bound_method.h"
#include "verify/box_bounder.h"
#include "verify/case_problem.h"
#include "verify/verdict.h"

namespace bf {

struct SoundProofOptions {
  std::string method = "crown";  // crown or alpha-crown (then `alpha`, and optionally a warm start)
  AlphaOptions alpha;
  std::int64_t max_memory = 0;
  std::int64_t batch = 64;  // boxes bounded together (more are taken in turns)
  // Milliseconds left to the verifier's deadline (none: no limit). The f64
  // stage is skipped (its claims refused) when its estimate would pass it.
  std::function<double()> ms_left;
  // Where its programs' compiled tasks are cached (null: the process-wide
  // cache). A prover that runs on a thread of its own beside another program
  // (verify/deferred_proofs.h) needs one of its own: kernels keep state.
  CompileCache* cache = nullptr;
};

// The options a verify run's proofs by `method` (crown or alpha-crown; other
// methods' claims are certified by crown) take from its VerifyOptions.
SoundProofOptions sound_proof_options(const VerifyOptions& o, const std::string& method,
                                      std::function<double()> ms_left);

class SoundProver {
 public:
  SoundProver(std::shared_ptr<const Graph> graph, const CaseProblem& problem, SoundProofOptions options);

  // Which of the boxes (each lower, upper) the case is refuted on in exact
  // arithmetic. `alpha_init`: the search's optimised parameters (alpha-crown).
  // Counts each box in `stats` (sound_f32 / sound_f64 / sound_rejected).
  std::vector<bool> prove(const std::vector<const std::vector<double>*>& lower,
                          const std::vector<const std::vector<double>*>& upper, VerifyStats& stats,
                          std::shared_ptr<const AlphaValues> alpha_init = nullptr);

  // Sound intermediate bounds over the whole box, f64 (what ReLU split's
  // relaxations need, whether or not the rows are proved there).
  std::vector<OutputBounds> root_intermediates(std::shared_ptr<const AlphaValues> alpha_init);

 private:
  // Row lower bounds of the boxes, sound, in `dtype`: through programs
  // prepared once (many small batches come), or, with the search's alpha as a
  // warm start, by a request of its own (every value's bounds kept).
  std::vector<double> bound_prepared(DType dtype, const std::vector<const std::vector<double>*>& lower,
                                     const std::vector<const std::vector<double>*>& upper);
  std::vector<double> bound_once(DType dtype, const std::vector<const std::vector<double>*>& lower,
                                 const std::vector<const std::vector<double>*>& upper,
                                 std::shared_ptr<const AlphaValues> alpha_init);
  BoxBounder& bounder(DType dtype);
  double f64_estimate_ms(double f32_ms) const;

  std::shared_ptr<const Graph> graph_;
  const CaseProblem& problem_;
  SoundProofOptions options_;
  std::vector<OutputBounds> intermediates_;
  std::map<DType, std::unique_ptr<BoxBounder>> bounders_;
  double f64_per_f32_ = 10.0;  // f64_estimate_ms's ratio, from the graph's ops
};

}  // namespace bf
