#include "verify/box_bounder.h"

#include <algorithm>

#include "support/error.h"

namespace bf {

BoxBounder::BoxBounder(std::shared_ptr<const Graph> graph, const CaseProblem& problem, BoxBounderSetup setup)
    : graph_(std::move(graph)), problem_(problem), setup_(std::move(setup)) {
  BF_CHECK(setup_.method == "crown" || setup_.method == "alpha-crown", ErrorKind::Internal, "box bounds by {}",
           setup_.method);
  BF_CHECK(setup_.batch >= 1 && setup_.smallest >= 1 && setup_.ladder >= 2, ErrorKind::Internal,
           "box bounds in batches of {} (from {}, ladder {})", setup_.batch, setup_.smallest, setup_.ladder);
  shape_ = graph_->type(graph_->inputs()[0]).shape;
}

BoundResult BoxBounder::bound(const std::vector<const std::vector<double>*>& lower,
                              const std::vector<const std::vector<double>*>& upper) {
  const auto count = static_cast<std::int64_t>(lower.size());
  BF_CHECK(count >= 1 && count <= setup_.batch && upper.size() == lower.size(), ErrorKind::Internal,
           "box bounds of {} boxes in batches of {}", count, setup_.batch);
  std::int64_t size = std::min(setup_.smallest, setup_.batch);
  while (size < count && size < setup_.batch) size = std::min(setup_.batch, size * setup_.ladder);
  if (setup_.reuse_larger && !prepared_.contains(size)) {
    // A program prepared already, up to four times larger, pads more but
    // costs no preparation and no first run (its arena's fresh pages).
    auto larger = prepared_.upper_bound(size);
    if (larger != prepared_.end() && larger->first <= 4 * size) size = larger->first;
  }
  PreparedBounds& prepared = prepared_for(size);
  std::vector<double> lo, hi;
  for (std::int64_t b = 0; b < size; ++b) {
    const auto at = static_cast<std::size_t>(std::min(b, count - 1));
    lo.insert(lo.end(), lower[at]->begin(), lower[at]->end());
    hi.insert(hi.end(), upper[at]->begin(), upper[at]->end());
  }
  return prepared.run(input_box(lo, hi, shape_, setup_.dtype, /*outward=*/true));
}

PreparedBounds& BoxBounder::prepared_for(std::int64_t size) {
  auto it = prepared_.find(size);
  if (it != prepared_.end()) return *it->second;
  BoundRequest req;
  req.graph = graph_;
  req.spec = problem_.spec(setup_.dtype);
  req.sound_fp = setup_.sound_fp;
  req.upper = setup_.upper;
  req.export_input_coefficients = setup_.input_coefficients;
  req.max_memory = setup_.max_memory;
  req.cache = setup_.cache;
  std::vector<double> lo, hi;
  for (std::int64_t b = 0; b < size; ++b) {
    lo.insert(lo.end(), problem_.lower.begin(), problem_.lower.end());
    hi.insert(hi.end(), problem_.upper.begin(), problem_.upper.end());
  }
  req.region = input_box(lo, hi, shape_, setup_.dtype, /*outward=*/true);
  if (setup_.method == "alpha-crown") req.alpha = setup_.alpha;
  return *(prepared_[size] = make_bound_method(setup_.method)->prepare(req));
}

}  // namespace bf
