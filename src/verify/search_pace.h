// When ReLU-split branch and bound should give way to MIP-refined root bounds
// (verify/mip_refine.h): not while it would close its search space by the
// deadline at the pace it has kept.
//
// The search space's closed share: each proved (or infeasible) domain with d
// splits closes 2^-d of it, so a finished search has closed exactly 1. The
// pace is the share closed over the last half of the time so far: the early
// rounds close shallow, easy domains fast and would flatter it.
#pragma once

#include <utility>
#include <vector>

namespace bf {

class SearchPace {
 public:
  // Times in ms on one clock: the search's start, the least time it runs
  // before it may give way, the case's deadline.
  SearchPace(double start_ms, double min_ms, double deadline_ms)
      : start_(start_ms), min_(min_ms), deadline_(deadline_ms) {}

  // Asked once per round with the share closed so far: true once `min_ms`
  // has passed, while at least 2 x `min_ms` is left, and the rest would not
  // close by the deadline at this pace.
  bool behind(double now_ms, double closed);

 private:
  double start_, min_, deadline_;
  std::vector<std::pair<double, double>> history_;  // (time, closed) per round
};

}  // namespace bf
