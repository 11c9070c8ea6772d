// The last word before `sat`: a candidate input re-checked with a float64
// forward pass of the network (the reference semantics) against the property
// itself, never against bounds.
#pragma once

#include <optional>
#include <vector>

#include "frontend/vnnlib/vnnlib.h"
#include "ir/graph.h"
#include "verify/counterexample.h"

namespace bf {

// VNN-COMP's scorer recomputes y(x) with onnxruntime in f32 and accepts small
// violations of the output constraints only within its tolerance; we demand
// the constraints hold in f64 with this much to spare (relative to 1 + |rhs|),
// so that the scorer's f32 recomputation agrees.
inline constexpr double kCounterexampleSlack = 1e-6;

// x (clamped into the case's box first: the result lies inside it exactly)
// violates the property: some case's box holds x and one of its polytopes
// holds at y(x) in f64 with the slack. Returns the counterexample (x, y(x)).
std::optional<Counterexample> recheck_counterexample(const Graph& graph, const VnnlibProperty& property,
                                                     std::size_t case_index, std::vector<double> x);

}  // namespace bf
