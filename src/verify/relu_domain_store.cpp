#include "verify/relu_domain_store.h"

#include <cmath>

namespace bf {

bool settle(const CaseProblem& p, ReluDomain& d, bool margin) {
  std::vector<std::int64_t> rows;
  std::vector<double> lower;
  std::vector<std::vector<float>> params;
  double least = std::numeric_limits<double>::infinity();
  std::size_t i = 0;
  while (i < d.rows.size()) {
    // The open rows of one polytope are consecutive.
    std::int64_t poly = 0;
    while (p.polytope_start[static_cast<std::size_t>(poly) + 1] <= d.rows[i]) ++poly;
    const std::int64_t end = p.polytope_start[static_cast<std::size_t>(poly) + 1];
    std::size_t j = i;
    bool refuted = false;
    double best = -std::numeric_limits<double>::infinity();
    for (; j < d.rows.size() && d.rows[j] < end; ++j) {
      const double b = p.rhs[static_cast<std::size_t>(d.rows[j])];
      refuted = refuted || row_refuted(d.row_lower[j], b, margin);
      if (!std::isnan(d.row_lower[j])) best = std::max(best, d.row_lower[j] - b);
    }
    if (!refuted) {
      least = std::min(least, best);
      for (std::size_t k = i; k < j; ++k) {
        rows.push_back(d.rows[k]);
        lower.push_back(d.row_lower[k]);
        params.push_back(std::move(d.params[k]));
      }
    }
    i = j;
  }
  d.rows = std::move(rows);
  d.row_lower = std::move(lower);
  d.params = std::move(params);
  d.score = least;
  return d.rows.empty();
}

}  // namespace bf
