#include "planner/task_graph.h"

#include <queue>

#include "support/error.h"

namespace bf {

const char* task_kind_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::Bound:
      return "bound";
    case TaskKind::Forward:
      return "forward";
    case TaskKind::Sweep:
      return "sweep";
  }
  return "?";
}

const char* task_op_kind_name(TaskOpKind kind) {
  switch (kind) {
    case TaskOpKind::Interval:
      return "interval";
    case TaskOpKind::Primal:
      return "primal";
    case TaskOpKind::Relax:
      return "relax";
    case TaskOpKind::Select:
      return "select";
    case TaskOpKind::Seed:
      return "seed";
    case TaskOpKind::Backward:
      return "backward";
    case TaskOpKind::Concretize:
      return "concretize";
    case TaskOpKind::Restore:
      return "restore";
    case TaskOpKind::DualSeed:
      return "dual_seed";
    case TaskOpKind::Dual:
      return "dual";
    case TaskOpKind::Account:
      return "account";
    case TaskOpKind::Charge:
      return "charge";
    case TaskOpKind::Beta:
      return "beta";
    case TaskOpKind::BetaGradient:
      return "beta_gradient";
    case TaskOpKind::Score:
      return "score";
  }
  return "?";
}

std::int64_t TaskGraph::num_ops() const {
  std::int64_t n = 0;
  for (const auto& t : tasks) n += static_cast<std::int64_t>(t.ops.size());
  return n;
}

std::vector<TaskId> TaskGraph::topological_order() const {
  const std::size_t n = tasks.size();
  std::vector<int> indegree(n, 0);
  std::vector<std::vector<TaskId>> succ(n);
  for (const auto& e : edges) {
    BF_CHECK(e.src >= 0 && static_cast<std::size_t>(e.src) < n && e.dst >= 0 && static_cast<std::size_t>(e.dst) < n,
             ErrorKind::Invalid, "task edge {}->{} out of range", e.src, e.dst);
    succ[static_cast<std::size_t>(e.src)].push_back(e.dst);
    ++indegree[static_cast<std::size_t>(e.dst)];
  }
  // Smallest ready id first: deterministic, and the identity for a forward-ordered graph.
  std::priority_queue<TaskId, std::vector<TaskId>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (indegree[i] == 0) ready.push(static_cast<TaskId>(i));
  }
  std::vector<TaskId> order;
  while (!ready.empty()) {
    TaskId t = ready.top();
    ready.pop();
    order.push_back(t);
    for (TaskId s : succ[static_cast<std::size_t>(t)]) {
      if (--indegree[static_cast<std::size_t>(s)] == 0) ready.push(s);
    }
  }
  BF_CHECK(order.size() == n, ErrorKind::Invalid, "task graph has a cycle");
  return order;
}

}  // namespace bf
