// alpha-CROWN's stop_at_lower: once every sample's lower bounds reach the
// targets it stops (a verifier's proof needs no more steps); targets out of
// reach leave the optimisation as it was, step for step.
#include <gtest/gtest.h>

#include "methods/bound_method.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

BoundResult alpha(const std::vector<double>& stop_at_lower) {
  auto g = test::mlp_chain(3, {16, 12}, 6);
  BoundRequest req;
  req.graph = g;
  req.region = linf_ball(std::vector<double>(6, 0.1), 0.5, g->type(g->inputs()[0]).shape, DType::F32);
  req.alpha.iterations = 20;
  req.alpha.early_stop = 0;
  req.alpha.stop_at_lower = stop_at_lower;
  return make_bound_method("alpha-crown")->compute(req);
}

TEST(AlphaStop, StopsOnceTheTargetsAreReached) {
  const BoundResult full = alpha({});
  EXPECT_EQ(full.alpha_report.iterations, 20);
  EXPECT_FALSE(full.alpha_report.stopped_early);
  // Targets at the first step's bounds: reached at once.
  const auto lo = full.outputs[0].lower.to_double_vector();
  std::vector<double> low_targets;
  for (double v : lo) low_targets.push_back(v - 1e3);
  const BoundResult quick = alpha(low_targets);
  EXPECT_EQ(quick.alpha_report.iterations, 1);
  EXPECT_TRUE(quick.alpha_report.stopped_early);
  // Out of reach: the same 20 steps, the same bounds.
  std::vector<double> high_targets;
  for (double v : lo) high_targets.push_back(v + 1e3);
  const BoundResult same = alpha(high_targets);
  EXPECT_EQ(same.alpha_report.iterations, 20);
  EXPECT_EQ(same.outputs[0].lower.to_double_vector(), lo);
}

}  // namespace
}  // namespace bf
