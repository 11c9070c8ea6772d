// What the scheduler needs from an executor: run one task's ops, reading and
// writing buffers through the environment and telling it after each op so
// buffers are released at their last use.
#pragma once

#include <cstdint>

#include "planner/task_graph.h"
#include "runtime/buffer_environment.h"

namespace bf {

class TaskExecutor {
 public:
  virtual ~TaskExecutor() = default;
  // `first_op` is the schedule position of the task's first op; the executor
  // calls env.after_op(first_op + i) once op i has run.
  virtual void run_task(const Task& task, std::int64_t first_op, BufferEnvironment& env) = 0;
};

// Runs every task of `bundle` in topological order (the planner emits tasks in
// one; the order is checked, not assumed).
void run_schedule(const PlanBundle& bundle, TaskExecutor& executor, BufferEnvironment& env);

}  // namespace bf
