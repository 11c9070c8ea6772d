// The last word before `sat`: a candidate input re-checked with a float64
// forward pass of the network (the reference semantics) against the property
// itself, never against bounds.
#pragma once

#include <memory>
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

// Every candidate of the searches goes through here before `sat`
// (docs/soundness.md, "Counterexamples"). A point counts when, taken as an
// f32 input inside the case's box (what the scorer feeds onnxruntime):
//   - f64 evaluation puts y(x) inside a polytope of the case,
//   - the sound program (f64, the point as its region) bounds that polytope's
//     rows at or below their right-hand sides: x violates the property in
//     exact real arithmetic on the network's constants, and
//   - f32 evaluation puts each of those rows within VNN-COMP's tolerance of
//     its right-hand side (kF32Tolerance, half the scorer's 1e-4, for the
//     difference between our f32 sums and onnxruntime's).
// A point that passes the first two but not the third is kept as a witness:
// the property is violated, but not visibly in f32; it becomes `sat` only
// when the caller accepts such points (--sat-exact), else the verdict says so.
class CounterexampleChecker {
 public:
  static constexpr double kF32Tolerance = 5e-5;
  // Points whose f32 violation margin is at most this are worth checking:
  // below it, f32 rounding may hide a real violation.
  static constexpr double kNearMiss = 1e-4;

  CounterexampleChecker(std::shared_ptr<const Graph> graph, const VnnlibProperty& property, bool accept_exact_only);

  const Graph& graph() const { return *graph_; }
  std::shared_ptr<const Graph> shared_graph() const { return graph_; }
  const VnnlibProperty& property() const { return property_; }

  std::optional<Counterexample> check(std::size_t case_index, std::vector<double> x);

  // Whether a point whose f32 violation margin (verify/case_problem.h) is
  // `margin` goes to check(): every f32 violation (margin <= 0), and a near
  // miss (margin up to kNearMiss, where f32 rounding may hide a violation)
  // when it comes closer than every near miss before it.
  bool worth_checking(double margin);

  // A point that violates in exact arithmetic but not within the tolerance in
  // f32 (the one f32 misses by least), and by how much f32 misses.
  const std::optional<Counterexample>& exact_only() const { return exact_only_; }
  double exact_only_miss() const { return exact_only_miss_; }
  std::int64_t checked() const { return checked_; }

 private:
  bool violates_exactly(std::size_t case_index, const std::vector<double>& x, const OutputPolytope& poly) const;

  std::shared_ptr<const Graph> graph_;
  const VnnlibProperty& property_;
  bool accept_exact_only_;
  std::optional<Counterexample> exact_only_;
  double exact_only_miss_ = 0.0;
  double closest_near_miss_ = kNearMiss;
  std::int64_t checked_ = 0;
};

}  // namespace bf
