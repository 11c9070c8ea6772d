// The compile cache: compiled tasks keyed by a structural hash of everything
// that determines their code and memory - the task's ops (kinds, attributes,
// operand and result shapes and dtypes), the identity of its weights, how its
// values map to program buffers, the plan's dtype, batch, domain and reuse
// options, the method, and every compile option (memory plan mode, lowering
// passes, memory planner). Two entries never share a key unless all of that
// agrees, so a changed shape or mode always misses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "runtime/compiled/compile_options.h"
#include "runtime/compiled/lowered_task.h"

namespace bf {

std::uint64_t task_compile_key(const LoweringContext& ctx, const CompileOptions& options);

class CompileCache {
 public:
  // The entry for `key`, or null (counted as a hit or a miss).
  std::shared_ptr<const LoweredTask> find(std::uint64_t key);
  void insert(std::uint64_t key, std::shared_ptr<const LoweredTask> task);
  std::int64_t hits() const { return hits_; }
  std::int64_t misses() const { return misses_; }
  std::size_t size() const { return entries_.size(); }
  void clear();

  // The cache the CLI and benchmarks share within a process.
  static CompileCache& global();

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, std::shared_ptr<const LoweredTask>> entries_;
  std::int64_t hits_ = 0;
  std::int64_t misses_ = 0;
};

}  // namespace bf
