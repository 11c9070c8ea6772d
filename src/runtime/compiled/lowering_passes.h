// The compiled executor lowers each task with an explicit, ordered list of
// passes - no black-box pipeline. The list is part of the compile options (and
// so of the compile-cache key), printed in dumps and statistics, and may skip
// the optional passes or swap their order:
//   select_kernels   required, first: one step per op, the fastest kernel kind that applies
//   fuse_activation  optional: an affine/conv step absorbs the activation right after it
//   alias_views      optional: Flatten/Reshape/Squeeze/... share their input's storage
//   channels_last    optional: values passed from one convolution to another stay NHWC
//   prepare_weights  required: kernels built (|W|, packed weights, oneDNN primitives)
//   plan_memory      required, last: intermediates and scratch get memory per the mode
#pragma once

#include <string>
#include <vector>

#include "runtime/compiled/lowered_task.h"

namespace bf {

const std::vector<std::string>& default_lowering_passes();
// Throws bf::Error(Usage) naming the problem: unknown pass, required pass
// missing, wrong position, a pass listed twice.
void check_lowering_passes(const std::vector<std::string>& passes);

// Runs the named passes in order on a fresh LoweredTask and records each one's time.
LoweredTask lower_task(const LoweringContext& ctx, const std::vector<std::string>& passes);

// The passes themselves (one file each).
void select_kernels(const LoweringContext& ctx, LoweredTask& t);
void fuse_activation(const LoweringContext& ctx, LoweredTask& t);
void alias_views(const LoweringContext& ctx, LoweredTask& t);
void channels_last(const LoweringContext& ctx, LoweredTask& t);
void prepare_weights(const LoweringContext& ctx, LoweredTask& t);
void plan_memory(const LoweringContext& ctx, LoweredTask& t);

// Helpers shared by the passes.
bool is_external_value(const LoweringContext& ctx, ValueId v);
// The value itself crosses the task boundary (a task output or a graph output).
bool is_task_io_value(const LoweringContext& ctx, ValueId v);
// Step index writing each value in the task, and the last step reading it.
std::map<ValueId, std::int32_t> step_writing(const LoweredTask& t);
std::map<ValueId, std::int32_t> last_step_reading(const LoweredTask& t);

}  // namespace bf
