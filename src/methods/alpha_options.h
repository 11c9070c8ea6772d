// alpha-CROWN's settings, its optimised parameters and its report, as the
// BoundMethod interface carries them (docs/alpha_crown.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bf {

struct AlphaOptions {
  int iterations = 20;     // Adam steps
  double lr = 0.5;         // step size
  double lr_decay = 0.98;  // per step, exponential
  int early_stop = 10;     // stop when no output bound improved for this many steps (0: never)
  // Stop once every sample's lower bound of output element j is at least
  // stop_at_lower[j] (one entry per element of a sample's output; empty: never):
  // a verifier stops optimising a case as soon as it is proved.
  std::vector<double> stop_at_lower;
};

// The parameters of one (sweep start value, node with optimisable lines), by
// row: the row's (sample, element of the start value) and its parameters for
// both sides ([side][param][element of the node's window]).
struct AlphaRows {
  std::vector<std::int64_t> samples, neurons;
  std::int64_t per_row = 0;    // values per row
  std::vector<double> values;  // rows x per_row
};

struct AlphaValues {
  std::map<std::pair<std::string, std::string>, AlphaRows> params;  // by (start value name, node name)
};

struct AlphaReport {
  int iterations = 0;          // steps run
  bool stopped_early = false;  // no improvement for early_stop steps, or stop_at_lower reached
  double ms_per_iteration = 0.0;
  double crown_ms = 0.0;               // the CROWN pass that starts it
  std::int64_t warm_started_rows = 0;  // rows whose parameters came from alpha_init
};

}  // namespace bf
