// Soundness by sampling: random points and box corners of an input region,
// pushed through the reference forward pass in f64, must land inside the
// bounds a method computed (of y, or of C·y with an output spec).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bound/input_region.h"
#include "ir/graph.h"
#include "tensor/tensor.h"

namespace bf::test {

struct SamplingReport {
  std::int64_t samples = 0;
  bool all_corners = false;  // every corner of every box was tried
  double closest = 0.0;      // the smallest distance of a sample to a bound
};

// `lower`/`upper`: region.batch x rows values (rows = C's rows, or the output's
// elements without a spec). Per box: `points` random points and the corners
// (all when the box has at most 10 inputs, else `points` random ones). Values
// may overshoot a bound by `rel_slack` (1 + |value|): the f32 rounding of the
// bound's own computation. Fails the calling test (gtest assertions) on the
// first sample outside, naming `label`, the sample and the row.
SamplingReport expect_samples_inside(const Graph& graph, const InputRegion& region, const std::vector<double>& lower,
                                     const std::vector<double>& upper, const std::optional<Tensor>& spec,
                                     const std::string& label, int points = 1000, double rel_slack = 1e-5);

}  // namespace bf::test
