// How a search splits its time between attacks and proof, from the evidence
// it has (the issue of attacks on properties that hold): the hardest open
// domain's slack says how far the proof is from done (`open`, >= 0: the
// amount its best row must still gain), and the least violation margin of
// any point evaluated so far says how far the attacks are (`seen`, >= 0: how
// much a point must still lose). The attacks get the share of the time that
// their distance is of the two, halved and kept within [kMinAttackShare,
// kMaxAttackShare]: near a proof almost all the time bounds, near a
// counterexample half of it attacks. Equal distances give a quarter, the
// fixed share before this rule.
#pragma once

#include <algorithm>
#include <cmath>

namespace bf {

inline constexpr double kMinAttackShare = 0.05;
inline constexpr double kMaxAttackShare = 0.5;

inline double attack_share(double open, double seen) {
  open = std::max(0.0, open);
  seen = std::max(0.0, seen);
  if (std::isnan(open) || std::isnan(seen) || std::isinf(seen)) return kMinAttackShare;  // no point seen yet
  if (std::isinf(open)) return kMaxAttackShare;
  if (open + seen == 0.0) return kMaxAttackShare;  // a point on the boundary: attack
  return std::clamp(0.5 * open / (open + seen), kMinAttackShare, kMaxAttackShare);
}

}  // namespace bf
