#include <algorithm>
#include <cmath>
#include <limits>

#include "planner/lower_to_tasks.h"
#include "planner/partition.h"
#include "support/error.h"

namespace bf {
namespace {

// Exactly `k` segments of sizes in [1, max_size], minimising
//   sum over segments of (size - n/k)^2  +  weight * sum over cuts of crossings.
// Dynamic programming over (segments used, nodes covered); ties keep the earliest
// cut, which makes the result deterministic.
std::vector<NodeId> balanced_cuts(std::int64_t n, std::int64_t k, std::int64_t max_size,
                                  const std::vector<std::int64_t>& crossing) {
  const double ideal = static_cast<double>(n) / static_cast<double>(k);
  // One extra crossing buffer is worth as much as a task a full `ideal` off its size.
  const double weight = std::max(1.0, ideal * ideal);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // cost[j][i]: best cost covering nodes [0, i) with j segments; from[j][i]: start of the last one.
  std::vector<std::vector<double>> cost(static_cast<std::size_t>(k + 1), std::vector<double>(n + 1, kInf));
  std::vector<std::vector<std::int64_t>> from(static_cast<std::size_t>(k + 1), std::vector<std::int64_t>(n + 1, -1));
  cost[0][0] = 0.0;
  for (std::int64_t j = 1; j <= k; ++j) {
    for (std::int64_t i = j; i <= n; ++i) {
      for (std::int64_t s = std::max<std::int64_t>(j - 1, i - max_size); s < i; ++s) {
        double prev = cost[static_cast<std::size_t>(j - 1)][static_cast<std::size_t>(s)];
        if (prev == kInf) continue;
        double size_dev = static_cast<double>(i - s) - ideal;
        double cut = s > 0 ? weight * static_cast<double>(crossing[static_cast<std::size_t>(s - 1)]) : 0.0;
        double c = prev + size_dev * size_dev + cut;
        if (c < cost[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)]) {
          cost[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)] = c;
          from[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)] = s;
        }
      }
    }
  }
  BF_CHECK(cost[static_cast<std::size_t>(k)][static_cast<std::size_t>(n)] < kInf, ErrorKind::Usage,
           "cannot split {} ops into {} tasks of at most {} ops", n, k, max_size);
  std::vector<NodeId> starts;
  for (std::int64_t j = k, i = n; j > 0; --j) {
    std::int64_t s = from[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)];
    starts.push_back(static_cast<NodeId>(s));
    i = s;
  }
  std::reverse(starts.begin(), starts.end());
  return starts;
}

// Splits the largest segments in halves until there are `k` of them and none is larger than `max_size`.
std::vector<NodeId> refine_segments(std::vector<NodeId> starts, std::int64_t n, std::int64_t k, std::int64_t max_size) {
  auto size_of = [&](std::size_t s) {
    return (s + 1 < starts.size() ? starts[s + 1] : static_cast<NodeId>(n)) - starts[s];
  };
  for (;;) {
    std::size_t largest = 0;
    for (std::size_t s = 1; s < starts.size(); ++s) {
      if (size_of(s) > size_of(largest)) largest = s;
    }
    bool need_more = static_cast<std::int64_t>(starts.size()) < k || size_of(largest) > max_size;
    if (!need_more || size_of(largest) < 2) break;
    starts.insert(starts.begin() + static_cast<std::ptrdiff_t>(largest) + 1, starts[largest] + size_of(largest) / 2);
  }
  return starts;
}

}  // namespace

std::vector<NodeId> partition_v2(const Graph& graph, const PlannerConfig& config) {
  const auto n = static_cast<std::int64_t>(graph.nodes().size());
  if (n == 0) return {};
  const std::int64_t max_size = config.max_ops_per_task > 0 ? config.max_ops_per_task : n;
  const std::int64_t needed_for_size = (n + max_size - 1) / max_size;
  const std::int64_t k = std::min(n, std::max(config.min_tasks, needed_for_size));

  if (config.partition_policy == PartitionPolicy::Layer) {
    std::vector<NodeId> starts = {0};
    for (std::int64_t i = 0; i + 1 < n; ++i) {
      if (is_nonlinear_activation(graph.nodes()[static_cast<std::size_t>(i)].op))
        starts.push_back(static_cast<NodeId>(i + 1));
    }
    return refine_segments(std::move(starts), n, k, max_size);
  }
  return balanced_cuts(n, k, max_size, cut_crossings(graph));
}

}  // namespace bf
