// select_kernels: one step per op of the task, with the fastest kernel kind
// that is exact for it. Everything without a fast path keeps the reference rule
// (kind Rule for intervals, Backward for linear bounds), so nothing is ever
// approximated.
#include "bound/linear/linear_rules.h"
#include "runtime/compiled/affine_form.h"
#include "runtime/compiled/lowering_passes.h"

namespace bf {
namespace {

StepKind classify_interval(const Graph& g, const Node& node, DType dtype) {
  if (dtype == DType::F32 && affine_form(g, node)) return StepKind::IntervalAffine;
  if (dtype == DType::F32 && is_fast_conv(g, node)) return StepKind::IntervalConv;
  if (activation_epilogue(node)) return StepKind::Elementwise;
  if (ibp_rule_is_monotone(node)) return StepKind::Monotone;
  return StepKind::Rule;
}

StepKind classify_backward(const LoweringContext& ctx, const TaskOp& op) {
  const Graph& g = *ctx.graph;
  const Node& node = g.node(op.node);
  if (ctx.plan->config.dtype != DType::F32) return StepKind::Backward;
  const auto& buffers = ctx.plan->storage.logical_buffers;
  for (BufferId b : op.reads) {
    // Optimised lines (alpha-CROWN): per-row parameters; dense Relu-like rows have a fast kernel.
    if (buffers[static_cast<std::size_t>(b)].layout != BufferLayout::Alpha) continue;
    const BufferSpec& out = buffers[static_cast<std::size_t>(op.reads.at(0))];
    const BufferSpec& in = buffers[static_cast<std::size_t>(op.writes.at(0))];
    const bool relu_like = node.op == OpKind::Relu || node.op == OpKind::LeakyRelu;
    return relu_like && out.window == in.window && out.shape == in.shape ? StepKind::BackwardReluAlpha
                                                                         : StepKind::Backward;
  }
  const BufferSpec& out = buffers[static_cast<std::size_t>(op.reads.at(0))];
  const BufferSpec& in = buffers[static_cast<std::size_t>(op.writes.at(0))];
  const bool constants = [&] {
    for (std::size_t i = 1; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != kNoValue && !g.is_constant(node.inputs[i])) return false;
    }
    return true;
  }();
  if (node.op == OpKind::Affine && constants) return StepKind::BackwardAffine;
  if (node.op == OpKind::Conv && constants && node.attrs.get_int("group", 1) == 1) return StepKind::BackwardConv;
  if (linear_rule(node.op).relax == RelaxKind::Elementwise && out.window == in.window) {
    return StepKind::BackwardRelaxed;
  }
  // A view keeps the C order of the elements: dense rows pass unchanged.
  const bool dense_out = !out.window.spatial || out.window.full();
  const bool dense_in = !in.window.spatial || in.window.full();
  if (is_view(node.op) && dense_out && dense_in && out.shape == in.shape) return StepKind::BackwardView;
  return StepKind::Backward;
}

bool dense_rows(const BufferSpec& b) { return !b.window.spatial || b.window.full(); }

StepKind classify_dual_seed(const LoweringContext& ctx, const TaskOp& op) {
  const auto& buffers = ctx.plan->storage.logical_buffers;
  const BufferSpec& d = buffers[static_cast<std::size_t>(op.writes.at(0))];
  return ctx.plan->config.dtype == DType::F32 && d.window == buffers[static_cast<std::size_t>(op.reads.at(0))].window
             ? StepKind::DualSeedDense
             : StepKind::DualSeed;
}

StepKind classify_dual(const LoweringContext& ctx, const TaskOp& op) {
  const Graph& g = *ctx.graph;
  const Node& node = g.node(op.node);
  if (ctx.plan->config.dtype != DType::F32) return StepKind::Dual;
  const auto& buffers = ctx.plan->storage.logical_buffers;
  const BufferSpec& in = buffers[static_cast<std::size_t>(op.reads.at(0))];
  const BufferSpec& out = buffers[static_cast<std::size_t>(op.writes.at(0))];
  const bool constants = [&] {
    for (std::size_t i = 1; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != kNoValue && !g.is_constant(node.inputs[i])) return false;
    }
    return true;
  }();
  if (node.op == OpKind::Conv && constants && node.attrs.get_int("group", 1) == 1) {
    // Whole output rows need whole input rows; windows take the dense-matrix path when small.
    const std::int64_t cells = out.shape.at(1) * (dense_rows(out) ? 1 : in.shape.at(1));
    if (dense_rows(out) ? dense_rows(in) : cells <= (std::int64_t{4} << 20)) return StepKind::DualConv;
  }
  if ((node.op == OpKind::Relu || node.op == OpKind::LeakyRelu) && in.window == out.window && in.shape == out.shape) {
    return StepKind::DualRelu;
  }
  if (!dense_rows(in) || !dense_rows(out)) return StepKind::Dual;
  if (node.op == OpKind::Affine && constants) return StepKind::DualAffine;
  if (is_view(node.op) && in.shape.at(1) == out.shape.at(1) && g.type(node.inputs[0]).numel() == in.shape.at(1)) {
    return StepKind::DualView;
  }
  return StepKind::Dual;
}

}  // namespace

void select_kernels(const LoweringContext& ctx, LoweredTask& t) {
  const Graph& g = *ctx.graph;
  const DType dtype = ctx.plan->config.dtype;
  t.steps.clear();
  for (std::size_t i = 0; i < ctx.task->ops.size(); ++i) {
    const TaskOp& op = ctx.task->ops[i];
    LoweredStep step;
    step.ops = {static_cast<std::int32_t>(i)};
    step.node = op.node;
    step.inputs = op.reads;
    step.outputs = op.writes;
    switch (op.kind) {
      case TaskOpKind::Interval:
        step.kind = classify_interval(g, g.node(op.node), dtype);
        break;
      case TaskOpKind::Primal:
        fail(ErrorKind::Unsupported, "the compiled executor runs bound plans, not primal ones");
      case TaskOpKind::Relax:
        step.kind = StepKind::Relax;
        break;
      case TaskOpKind::Select:
        step.kind = StepKind::Select;
        break;
      case TaskOpKind::Seed:
        step.kind = StepKind::Seed;
        break;
      case TaskOpKind::Backward:
        step.kind = classify_backward(ctx, op);
        break;
      case TaskOpKind::Concretize:
        step.kind = StepKind::Concretize;
        break;
      case TaskOpKind::Restore:
        step.kind = StepKind::Restore;
        break;
      case TaskOpKind::DualSeed:
        step.kind = classify_dual_seed(ctx, op);
        break;
      case TaskOpKind::Dual:
        step.kind = classify_dual(ctx, op);
        break;
      case TaskOpKind::Account:
        step.kind = StepKind::Account;
        break;
      case TaskOpKind::Charge:
        step.kind = StepKind::Charge;
        break;
      case TaskOpKind::Beta:
        step.kind = StepKind::Beta;
        break;
      case TaskOpKind::BetaGradient:
        step.kind = StepKind::BetaGradient;
        break;
      case TaskOpKind::Score:
        step.kind = StepKind::Score;
        break;
    }
    t.steps.push_back(std::move(step));
  }
}

}  // namespace bf
