// prepare_weights: builds every step's kernel once. Fast affine and conv
// kernels copy and pack their weights (and |W|) and create their oneDNN
// primitives here, so running a task never prepares anything again.
#include "runtime/compiled/fast_kernels.h"
#include "runtime/compiled/lowering_passes.h"
#include "runtime/compiled/step_kernels.h"
#include "support/error.h"

namespace bf {

void prepare_weights(const LoweringContext& ctx, LoweredTask& t) {
  const Graph& g = *ctx.graph;
  const DType dtype = ctx.plan->config.dtype;
  const std::int64_t batch = ctx.plan->config.batch;
  for (auto& s : t.steps) {
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
            s.kernel = make_activation_kernel(epilogue_from_node(node), batch * g.type(s.outputs[0]).numel());
          } else {
            s.kernel =
                make_monotone_kernel(node, bind_operands(g, node, dtype), {g.type(s.outputs[0]).shape}, dtype, batch);
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
