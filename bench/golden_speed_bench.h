// Compiled IBP against auto_LiRPA's recorded IBP times (../shared/golden, same
// networks, inputs and eps, measured on a 2-core machine like ours) and against
// our own reference executor, in one run. Ratios are what matters: absolute
// times depend on the machine.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace bf::bench {

struct GoldenSpeedOptions {
  std::string golden_dir;             // holds NAME.onnx, NAME.bB.input.json, NAME.bB.IBP.json
  std::vector<std::string> networks;  // empty: every NAME.onnx with IBP goldens
  std::vector<std::int64_t> batches = {1, 64};
  int warmup = 5;
  int iters = 50;
  int reference_iters = 5;
  int threads = 0;  // recorded; set by the caller
  bool progress = true;
};

nlohmann::json run_golden_speed(const GoldenSpeedOptions& options);
std::string golden_speed_table(const nlohmann::json& results);

}  // namespace bf::bench
