#include "verify/search_pace.h"

#include <algorithm>

namespace bf {

bool SearchPace::behind(double now_ms, double closed) {
  history_.emplace_back(now_ms, closed);
  // Programs take minutes to pay: none in the last stretch, where branch and
  // bound keeps what it has.
  if (now_ms - start_ < min_ || deadline_ - now_ms < 2.0 * min_) return false;
  const double half = start_ + (now_ms - start_) / 2.0;
  const auto at = std::lower_bound(history_.begin(), history_.end(), std::make_pair(half, -1.0));
  const double pace = (closed - at->second) / std::max(1.0, now_ms - at->first);  // share per ms
  return pace <= 0.0 || (1.0 - closed) / pace > deadline_ - now_ms;
}

}  // namespace bf
