#include "transform/normalize.h"

#include "transform/constant_folding.h"
#include "transform/fold_batchnorm.h"
#include "transform/fold_input_normalization.h"
#include "transform/fuse_matmul_add.h"
#include "transform/nhwc_prologue.h"
#include "transform/remove_identity.h"

namespace bf {

const std::vector<std::string>& default_pipeline() {
  // Identity removal first so later patterns see producers directly; constant
  // folding early so patterns see constants; the NHWC move before the normalisation
  // fold (it brings normalisation onto the input); BN folding before the MatMul
  // fusion; a final constant folding for anything the rewrites left all-constant.
  static const std::vector<std::string> names = {
      "remove_identity", "constant_folding", "nhwc_prologue",    "fold_input_normalization",
      "fold_batchnorm",  "fuse_matmul_add",  "constant_folding",
  };
  return names;
}

std::unique_ptr<Pass> create_pass(const std::string& name) {
  if (name == "remove_identity") return std::make_unique<RemoveIdentity>();
  if (name == "constant_folding") return std::make_unique<ConstantFolding>();
  if (name == "nhwc_prologue") return std::make_unique<NhwcPrologue>();
  if (name == "fold_input_normalization") return std::make_unique<FoldInputNormalization>();
  if (name == "fold_batchnorm") return std::make_unique<FoldBatchNorm>();
  if (name == "fuse_matmul_add") return std::make_unique<FuseMatMulAdd>();
  fail(ErrorKind::Invalid, "unknown pass '{}'", name);
}

PassReport normalize(Graph& graph, const NormalizeOptions& options) {
  PassManagerOptions pm_options;
  pm_options.skip = options.skip;
  pm_options.verify_each = options.verify_each;
  pm_options.capture_dumps = options.capture_dumps;
  PassManager pm(pm_options);
  for (const auto& name : default_pipeline()) {
    auto pass = create_pass(name);
    pass->set_exact(options.exact);
    pm.add(std::move(pass));
  }
  return pm.run(graph);
}

}  // namespace bf
