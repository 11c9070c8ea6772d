// The default normalisation pipeline over the primal IR, run after import and
// before planning: canonical forms that later stages rely on (Affine for dense
// layers, ScaleShift for input normalisation, no Identity / BatchNormalization
// where they can be folded).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transform/pass_manager.h"

namespace bf {

struct NormalizeOptions {
  // Pass names not to run (see default_pipeline()); an unknown name is an error.
  std::vector<std::string> skip;
  // bf::validate after every pass (debug builds always do).
  bool verify_each = true;
  // Keep a print_graph() dump of the input and after every pass in the report.
  bool capture_dumps = false;
  // Keep the network's exact semantics (sound floating point, docs/soundness.md):
  // no rewrite that rounds a constant (BatchNorm folding, a normalisation whose
  // composed scale is inexact, Gemm's alpha, ...). What constant folding still
  // has to round is named in Graph::rounded (as every rounding rewrite is).
  bool exact = false;
};

// Pass names in pipeline order: remove_identity, constant_folding, nhwc_prologue,
// fold_input_normalization, fold_batchnorm, fuse_matmul_add, constant_folding.
const std::vector<std::string>& default_pipeline();

// A fresh pass by name; throws bf::Error(Invalid) for an unknown name.
std::unique_ptr<Pass> create_pass(const std::string& name);

// Runs the default pipeline in place. Throws bf::Error naming the pass on failure.
PassReport normalize(Graph& graph, const NormalizeOptions& options = {});

}  // namespace bf
