// Compiled bound methods (IBP, CROWN) against auto_LiRPA's recorded times of the
// same method (../shared/golden, same networks, inputs and eps, measured on a
// 2-core machine like ours) and against our own reference executor, in one run;
// and the peak RSS of a whole `boundflow bounds` process against auto_LiRPA's.
// Ratios are what matters: absolute times depend on the machine.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace bf::bench {

struct GoldenSpeedOptions {
  std::string golden_dir;             // holds NAME.onnx, NAME.bB.input.json, NAME.bB.METHOD.json
  std::vector<std::string> networks;  // empty: every NAME.onnx with goldens for the method
  std::vector<std::int64_t> batches = {1, 64};
  std::vector<std::string> methods = {"ibp"};  // ibp, crown
  // A `boundflow` binary to measure whole-process peak RSS with (empty: not measured).
  std::string rss_binary;
  int warmup = 5;
  int iters = 50;
  int reference_iters = 5;
  int threads = 0;  // recorded; set by the caller
  bool progress = true;
};

nlohmann::json run_golden_speed(const GoldenSpeedOptions& options);
std::string golden_speed_table(const nlohmann::json& results);

}  // namespace bf::bench
