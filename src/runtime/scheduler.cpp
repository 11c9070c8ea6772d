#include "runtime/task_executor.h"
#include "support/error.h"

namespace bf {

void run_schedule(const PlanBundle& bundle, TaskExecutor& executor, BufferEnvironment& env) {
  const auto order = bundle.task_graph.topological_order();
  // Liveness positions follow the task list order; a plan whose list is not a
  // topological order would release buffers at the wrong time.
  for (std::size_t i = 0; i < order.size(); ++i) {
    BF_CHECK(order[i] == static_cast<TaskId>(i), ErrorKind::Invalid,
             "task list is not in topological order (t{} before t{})", order[i], i);
  }
  std::int64_t pos = 0;
  for (const auto& task : bundle.task_graph.tasks) {
    executor.run_task(task, pos, env);
    pos += static_cast<std::int64_t>(task.ops.size());
  }
}

}  // namespace bf
