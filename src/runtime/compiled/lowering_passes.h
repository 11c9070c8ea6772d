// The compiled executor lowers each task with an explicit, ordered list of
// passes - no black-box pipeline. The passes are declared in one table
// (lowering_passes.cpp: name, function, optional); a verifier checks the
// lowered task after every pass, and a text dump of it can be kept after each
// (LoweringContext::dumps). The list is part of the compile options (and so of
// the compile-cache key), printed in dumps and statistics, and may skip the
// optional passes or swap their order:
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

// Runs the named passes in order on a fresh LoweredTask, verifies it after each
// and records each one's time (and dump, when ctx.dumps is set).
LoweredTask lower_task(LoweringContext ctx, const std::vector<std::string>& passes);

// Throws bf::Error(Internal) naming the pass after which the task is no longer
// well formed: ops not covered exactly once, steps touching buffers their ops do
// not, alias loops, missing kernels after prepare_weights, missing memory after
// plan_memory.
void verify_lowered_task(const LoweringContext& ctx, const LoweredTask& t, const std::string& after);
// Steps (kind, kernel, buffers) and aliases, one line each.
std::string lowered_task_to_text(const LoweringContext& ctx, const LoweredTask& t);

// The passes themselves (one file each).
void select_kernels(const LoweringContext& ctx, LoweredTask& t);
void fuse_activation(const LoweringContext& ctx, LoweredTask& t);
void alias_views(const LoweringContext& ctx, LoweredTask& t);
void channels_last(const LoweringContext& ctx, LoweredTask& t);
void prepare_weights(const LoweringContext& ctx, LoweredTask& t);
void plan_memory(const LoweringContext& ctx, LoweredTask& t);

// Helpers shared by the passes (buffers are logical buffer ids).
bool is_external_buffer(const LoweringContext& ctx, BufferId b);
// The buffer itself crosses the task boundary (a task input or output, a graph input or output).
bool is_task_io_buffer(const LoweringContext& ctx, BufferId b);
// Step index writing each buffer in the task, and the last step reading it.
std::map<BufferId, std::int32_t> step_writing(const LoweredTask& t);
std::map<BufferId, std::int32_t> last_step_reading(const LoweredTask& t);

}  // namespace bf
