// The attacks' share of a search's time (verify/attack_budget.h): near a proof
// little, near a counterexample much, a quarter when both are as far, always
// within its bounds, and never NaN.
#include "verify/attack_budget.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace bf {
namespace {

TEST(AttackBudget, FollowsTheEvidence) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(attack_share(1.0, 1.0), 0.25);
  EXPECT_DOUBLE_EQ(attack_share(0.0, 3.0), kMinAttackShare);  // proved but for rounding: bound
  EXPECT_DOUBLE_EQ(attack_share(3.0, 0.0), kMaxAttackShare);  // a point on the boundary: attack
  EXPECT_DOUBLE_EQ(attack_share(1.0, inf), kMinAttackShare);  // no point seen yet
  EXPECT_DOUBLE_EQ(attack_share(inf, 1.0), kMaxAttackShare);
  EXPECT_DOUBLE_EQ(attack_share(std::nan(""), 1.0), kMinAttackShare);
  EXPECT_DOUBLE_EQ(attack_share(-2.0, 1.0), kMinAttackShare);  // negative distances count as none
  double last = 0.0;
  for (double open = 0.0; open <= 10.0; open += 0.5) {
    const double s = attack_share(open, 2.0);
    EXPECT_GE(s, last);  // farther from a proof: more attacks
    EXPECT_GE(s, kMinAttackShare);
    EXPECT_LE(s, kMaxAttackShare);
    last = s;
  }
  EXPECT_GT(attack_share(1.0, 0.1), attack_share(1.0, 10.0));  // nearer a counterexample: more attacks
}

}  // namespace
}  // namespace bf
