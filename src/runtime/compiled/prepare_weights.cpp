// prepare_weights: builds every step's kernel once. Fast affine and conv
// kernels copy and pack their weights (and |W|) and create their oneDNN
// primitives here, so running a task never prepares anything again.
#include "runtime/compiled/fast_kernels.h"
#include "runtime/compiled/linear_kernels.h"
#include "runtime/compiled/lowering_passes.h"
#include "runtime/compiled/step_kernels.h"
#include "support/error.h"

namespace bf {

void prepare_weights(const LoweringContext& ctx, LoweredTask& t) {
  const Graph& g = *ctx.graph;
  const DType dtype = ctx.plan->config.dtype;
  const std::int64_t batch = ctx.plan->config.batch;
  for (auto& s : t.steps) {
    if (s.kind >= StepKind::Relax) {
      // Linear steps: one op each.
      const TaskOp& op = ctx.task->ops.at(static_cast<std::size_t>(s.ops.at(0)));
      try {
        s.kernel = make_linear_kernel(s.kind, *ctx.plan, op);
      } catch (Error& e) {
        if (s.node >= 0) e.with_node(g.node(s.node).name, std::string(op_name(g.node(s.node).op)));
        throw;
      }
      continue;
    }
    const Node& node = g.node(s.node);
    const Epilogue epilogue = s.activation ? epilogue_from_node(g.node(*s.activation)) : Epilogue::none();
    try {
      switch (s.kind) {
        case StepKind::IntervalAffine: {
          auto form = affine_form(g, node);
          BF_ASSERT(form.has_value());
          s.kernel = make_affine_kernel(*form, batch, epilogue);
          break;
        }
        case StepKind::IntervalConv:
          s.kernel = make_conv_kernel(g, node, batch, epilogue, t.channels_last.count(s.inputs[0]) > 0,
                                      t.channels_last.count(s.outputs[0]) > 0);
          break;
        case StepKind::Elementwise:
          if (dtype == DType::F32) {
            s.kernel = make_activation_kernel(epilogue_from_node(node), batch * g.type(node.outputs[0]).numel());
          } else {
            s.kernel = make_monotone_kernel(node, bind_operands(g, node, dtype), {g.type(node.outputs[0]).shape}, dtype,
                                            batch);
          }
          break;
        case StepKind::Monotone: {
          std::vector<Shape> shapes;
          for (ValueId v : node.outputs) shapes.push_back(g.type(v).shape);
          s.kernel = make_monotone_kernel(node, bind_operands(g, node, dtype), std::move(shapes), dtype, batch);
          break;
        }
        case StepKind::Alias:
          s.kernel = make_alias_kernel(node);
          break;
        case StepKind::Rule: {
          std::vector<Shape> shapes;
          for (ValueId v : node.outputs) shapes.push_back(g.type(v).shape);
          s.kernel = make_rule_kernel(node, bind_operands(g, node, dtype), std::move(shapes), dtype, batch);
          break;
        }
        default:
          fail(ErrorKind::Internal, "step kind {} in an interval task", step_kind_name(s.kind));
      }
    } catch (Error& e) {
      e.with_node(node.name, std::string(op_name(node.op)));
      throw;
    }
    if (!s.kernel->static_plannable()) {
      t.unplanned_kernels.push_back(node.name + " (" + std::string(op_name(node.op)) + "): " + s.kernel->name());
    }
  }
}

}  // namespace bf
