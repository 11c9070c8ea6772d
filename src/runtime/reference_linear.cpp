// The reference executor's linear (CROWN-family) ops: relaxations, row
// selection, and sweeps, each run with the reference rules of bound/linear.
// A sweep task runs once per chunk of its rows; its buffers are released after
// the last chunk only.
#include <algorithm>
#include <cstring>

#include "bound/linear/backward.h"
#include "bound/linear/beta_steps.h"
#include "bound/linear/concretize.h"
#include "bound/linear/dual.h"
#include "bound/linear/linear_rules.h"
#include "bound/linear/relaxation.h"
#include "bound/linear/sweep_steps.h"
#include "bound/rounding/rounding_account.h"
#include "runtime/account_op.h"
#include "runtime/reference_executor.h"
#include "support/error.h"

namespace bf {
namespace {

IntervalView interval_of(const void* base, const BufferSpec& spec) {
  const auto* p = static_cast<const char*>(base);
  return {p, p + spec.plane_bytes()};
}

// to = from, or the intersection of from and to.
template <typename T>
void restore_interval(const char* from, char* to, std::int64_t plane, std::int64_t n, bool intersect) {
  const T* fl = reinterpret_cast<const T*>(from);
  const T* fu = reinterpret_cast<const T*>(from + plane);
  T* tl = reinterpret_cast<T*>(to);
  T* tu = reinterpret_cast<T*>(to + plane);
  for (std::int64_t i = 0; i < n; ++i) {
    tl[i] = intersect ? std::max(tl[i], fl[i]) : fl[i];
    tu[i] = intersect ? std::min(tu[i], fu[i]) : fu[i];
  }
}

}  // namespace

void ReferenceExecutor::run_sweep(const Task& task, std::int64_t first_op, BufferEnvironment& env) {
  const SweepInfo& sweep = bundle_.sweeps.at(static_cast<std::size_t>(task.sweep));
  // The row list is written by the Select op before this task and only read here.
  SweepRowsView rows(const_cast<void*>(env.read(sweep.rows_buffer)), sweep.row_capacity);
  const std::int64_t count = rows.count();
  const std::int64_t per_chunk = sweep.rows_per_chunk;
  const std::int64_t chunks = (count + per_chunk - 1) / per_chunk;
  const Shape& start_shape = bundle_.graph->type(sweep.value).shape;
  for (std::int64_t c = 0; c < chunks; ++c) {
    SweepChunk chunk;
    chunk.batch = bundle_.config.batch;
    chunk.rows = std::min(per_chunk, count - c * per_chunk);
    chunk.slots = rows.slots() + c * per_chunk;
    chunk.row_capacity = per_chunk;
    chunk.neurons = rows.neurons() + c * per_chunk;
    chunk.samples = rows.samples() + c * per_chunk;
    chunk.start = start_dims(start_shape);
    chunk.lower = sweep.lower;
    chunk.upper = sweep.upper;
    const bool last = c + 1 == chunks;
    for (std::size_t i = 0; i < task.ops.size(); ++i) {
      run_linear_op(task.ops[i], &chunk, env);
      if (last) env.after_op(first_op + static_cast<std::int64_t>(i));
    }
  }
  if (chunks == 0) {
    // No row to bound: every row keeps its reference bound; only release.
    for (std::size_t i = 0; i < task.ops.size(); ++i) env.after_op(first_op + static_cast<std::int64_t>(i));
  }
}

void ReferenceExecutor::run_linear_op(const TaskOp& op, const SweepChunk* chunk, BufferEnvironment& env) {
  const Graph& g = *bundle_.graph;
  const StoragePlan& s = bundle_.storage;
  const DType dtype = bundle_.config.dtype;
  const std::int64_t batch = bundle_.config.batch;
  auto spec = [&](BufferId b) -> const BufferSpec& { return s.logical_buffers[static_cast<std::size_t>(b)]; };
  auto linear_view = [&](BufferId b, bool writing) {
    const BufferSpec& sp = spec(b);
    LinearView v;
    char* base = writing ? static_cast<char*>(env.write(b)) : const_cast<char*>(static_cast<const char*>(env.read(b)));
    const SweepInfo& sw = bundle_.sweeps.at(static_cast<std::size_t>(sp.sweep));
    v.lower = sw.lower ? base : nullptr;
    v.upper = sw.upper ? base + sp.plane_bytes() : nullptr;
    v.window = sp.window;
    v.value_shape = g.type(sp.value).shape;
    v.elements = sp.shape.at(1);
    return v;
  };
  auto bias_view = [&](BufferId b, bool writing) {
    char* base = writing ? static_cast<char*>(env.write(b)) : const_cast<char*>(static_cast<const char*>(env.read(b)));
    return BiasView{base, base + spec(b).plane_bytes()};
  };
  // The op's buffer of a layout among its reads (-1 if none).
  auto read_of = [&](BufferLayout layout) -> BufferId {
    for (BufferId b : op.reads) {
      if (spec(b).layout == layout) return b;
    }
    return -1;
  };
  auto alpha_view = [&](BufferId b, bool writing) {
    AlphaView v;
    if (b < 0) return v;
    const BufferSpec& sp = spec(b);
    char* base = writing ? static_cast<char*>(env.write(b)) : const_cast<char*>(static_cast<const char*>(env.read(b)));
    const Node& nd = g.node(op.node);
    v.lower = base;
    v.upper = base + sp.plane_bytes();
    v.params = alpha_params(nd);
    v.elements = sp.shape.at(1) / v.params;
    return v;
  };
  // One parameter per element of a row (beta, its gradient, branching scores).
  auto parameter_view = [&](BufferId b, bool writing) {
    const BufferSpec& sp = spec(b);
    char* base = writing ? static_cast<char*>(env.write(b)) : const_cast<char*>(static_cast<const char*>(env.read(b)));
    return AlphaView{base, base + sp.plane_bytes(), sp.shape.at(1), 1};
  };
  // The branch elements a beta, gradient or score buffer stands for (bound/linear/beta_steps.h).
  auto branch_elements = [&](BufferId b) {
    const BufferSpec& sp = spec(b);
    const auto& list = bundle_.sweeps.at(static_cast<std::size_t>(sp.sweep)).branch_elements.at(sp.value);
    return BranchElements{list.data(), static_cast<std::int64_t>(list.size()), g.type(sp.value).numel()};
  };
  auto relax_view = [&](NodeId n) {
    const BufferId rb = relax_buffer_.at(n);
    const auto* base = static_cast<const char*>(env.read(rb));
    const std::int64_t plane = spec(rb).plane_bytes();
    return RelaxView{base, base + plane, base + 2 * plane, base + 3 * plane};
  };
  try {
    switch (op.kind) {
      case TaskOpKind::Relax: {
        const Node& node = g.node(op.node);
        const BufferId in = op.reads.at(0), out = op.writes.at(0);
        auto* base = static_cast<char*>(env.write(out));
        const std::int64_t plane = spec(out).plane_bytes();
        void* planes[4] = {base, base + plane, base + 2 * plane, base + 3 * plane};
        compute_relaxation(node, dtype, batch, g.type(node.inputs[0]).shape, g.type(node.outputs[0]).shape,
                           interval_of(env.read(in), spec(in)), planes, bundle_.config.sound_fp);
        return;
      }
      case TaskOpKind::Select: {
        const SweepInfo& sw = bundle_.sweeps.at(static_cast<std::size_t>(op.start));
        SweepRowsView rows(env.write(sw.rows_buffer), sw.row_capacity);
        const BufferId iv = s.buffer_of(sw.value);
        IntervalView reference;
        if (sw.rows == SweepRows::Unstable) reference = interval_of(env.read(iv), spec(iv));
        select_rows(sw.rows, dtype, batch, g.type(sw.value).numel(), reference, rows);
        // Claim the start's interval: a sweep updates it in place, row by row.
        void* claimed = env.write(iv);
        if (sw.rows == SweepRows::All) std::memset(claimed, 0, static_cast<std::size_t>(spec(iv).bytes));
        return;
      }
      case TaskOpKind::Seed: {
        BF_ASSERT(chunk != nullptr);
        seed_rows(*chunk, dtype, linear_view(op.writes.at(0), true), bias_view(op.writes.at(1), true));
        return;
      }
      case TaskOpKind::Backward: {
        BF_ASSERT(chunk != nullptr);
        const Node& node = g.node(op.node);
        const LinearView out = linear_view(op.reads.at(0), false);
        std::vector<LinearTarget> targets(node.inputs.size());
        std::vector<const Tensor*> constants(node.inputs.size(), nullptr);
        std::vector<const Shape*> shapes(node.inputs.size(), nullptr);
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
          const ValueId v = node.inputs[i];
          if (v == kNoValue) continue;
          shapes[i] = &g.type(v).shape;
          if (g.is_constant(v)) {
            constants[i] = &constant(v);
            continue;
          }
          const BufferId b = linear_buffer_.at({v, op.start});
          const auto at = std::find(op.writes.begin(), op.writes.end(), b) - op.writes.begin();
          targets[i].view = linear_view(b, true);
          targets[i].active = true;
          targets[i].accumulate = op.accumulate.at(static_cast<std::size_t>(at));
        }
        RelaxView relax;
        if (linear_rule(node.op).relax != RelaxKind::None) relax = relax_view(op.node);
        const BufferId bias_buffer = bundle_.sweeps.at(static_cast<std::size_t>(op.start)).bias_buffer;
        const BiasView bias = bias_view(bias_buffer, true);
        BackwardArgs args{node, *chunk, dtype, out, targets, constants, shapes, bias, relax};
        args.sound = bundle_.config.sound_fp;
        const BufferId alpha = read_of(BufferLayout::Alpha);
        if (alpha >= 0) {
          args.alpha = alpha_view(alpha, true);
          const BufferId iv = s.buffer_of(node.inputs[0]);
          args.input = interval_of(env.read(iv), spec(iv));
        }
        prepare_targets(args);
        linear_rule(node.op).backward(args);
        return;
      }
      case TaskOpKind::Restore: {
        // The best bounds so far, intersected with this run's IBP bounds when read.
        const BufferId best = op.reads.at(0), iv = op.writes.at(0);
        const bool intersect = op.reads.size() > 1;
        const std::int64_t n = spec(iv).plane_elements();
        const auto* from = static_cast<const char*>(env.read(best));
        auto* to = static_cast<char*>(env.write(iv));
        const std::int64_t plane = spec(iv).plane_bytes();
        if (dtype == DType::F32) {
          restore_interval<float>(from, to, plane, n, intersect);
        } else {
          restore_interval<double>(from, to, plane, n, intersect);
        }
        return;
      }
      case TaskOpKind::DualSeed: {
        BF_ASSERT(chunk != nullptr);
        const BufferId x = s.buffer_of(g.inputs()[0]);
        dual_seed(*chunk, dtype, linear_view(op.reads.at(0), false), interval_of(env.read(x), spec(x)),
                  linear_view(op.writes.at(0), true));
        return;
      }
      case TaskOpKind::Dual: {
        BF_ASSERT(chunk != nullptr);
        const Node& node = g.node(op.node);
        std::vector<LinearView> ins(node.inputs.size());
        std::vector<const Tensor*> constants(node.inputs.size(), nullptr);
        std::vector<const Shape*> shapes(node.inputs.size(), nullptr);
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
          const ValueId v = node.inputs[i];
          if (v == kNoValue) continue;
          shapes[i] = &g.type(v).shape;
          if (g.is_constant(v)) {
            constants[i] = &constant(v);
            continue;
          }
          ins[i] = linear_view(dual_buffer_.at({v, op.start}), false);
        }
        const LinearView out = linear_view(op.writes.at(0), true);
        DualArgs args{node, *chunk, dtype, ins, constants, shapes, out};
        LinearView coeff;
        if (linear_rule(node.op).relax != RelaxKind::None) {
          coeff = linear_view(linear_buffer_.at({node.outputs[0], op.start}), false);
          args.coeff = &coeff;
          args.relax = relax_view(op.node);
        }
        const BufferId alpha = read_of(BufferLayout::Alpha);
        if (alpha >= 0) {
          args.alpha = alpha_view(alpha, false);
          args.grad = alpha_view(op.writes.at(1), true);
          const BufferId iv = s.buffer_of(node.inputs[0]);
          args.input = interval_of(env.read(iv), spec(iv));
        }
        linear_rule(node.op).dual(args);
        return;
      }
      case TaskOpKind::Concretize: {
        BF_ASSERT(chunk != nullptr);
        const SweepInfo& sw = bundle_.sweeps.at(static_cast<std::size_t>(op.start));
        const BufferId x = s.buffer_of(g.inputs()[0]);
        const BufferId iv = s.buffer_of(sw.value);
        auto* out = static_cast<char*>(env.write(iv));
        ConcretizeTarget target{out, out + spec(iv).plane_bytes(), g.type(sw.value).numel(), sw.alpha};
        target.sound = bundle_.config.sound_fp;
        if (sw.export_buffer >= 0) {
          auto* e = static_cast<char*>(env.write(sw.export_buffer));
          target.export_lower = e;
          target.export_upper = e + spec(sw.export_buffer).plane_bytes();
        }
        concretize_rows(*chunk, dtype, linear_view(op.reads.at(0), false), bias_view(sw.bias_buffer, false),
                        interval_of(env.read(x), spec(x)), target);
        return;
      }
      case TaskOpKind::Account: {
        const Node& node = g.node(op.node);
        const AccountOpLayout layout = account_op_layout(bundle_, op);
        std::vector<AccountOperand> operands(node.inputs.size());
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
          const auto& lo = layout.operands[i];
          AccountOperand& o = operands[i];
          o.ibp.present = lo.present;
          if (!lo.present) continue;
          if (lo.constant) {
            o.ibp.is_constant = true;
            o.ibp.constant = &constant(node.inputs[i]);
            o.ibp.shape = &o.ibp.constant->shape();
            continue;
          }
          o.ibp.shape = &g.type(node.inputs[i]).shape;
          const BufferId b = op.reads.at(static_cast<std::size_t>(lo.read));
          const auto* base = static_cast<const char*>(env.read(b));
          if (lo.interval) {
            o.ibp.bounds = {base, base + spec(b).plane_bytes()};
          } else {
            o.magnitude = base;
          }
        }
        RelaxView relax;
        if (layout.relax_read >= 0) relax = relax_view(op.node);
        IntervalOut widen;
        if (layout.widen_write >= 0) {
          const BufferId w = op.writes.at(static_cast<std::size_t>(layout.widen_write));
          auto* base = static_cast<char*>(env.write(w));
          widen = {base, base + spec(w).plane_bytes()};
        }
        AccountArgs args{node,  g,     operands, g.type(node.outputs[0]).shape, dtype,
                         batch, relax, widen,    env.write(op.writes.at(0)),    bundle_.config.batch_account};
        const std::int64_t bytes = account_scratch_bytes(args);
        void* scratch = bytes > 0 ? scratch_allocator_.allocate(bytes) : nullptr;
        try {
          account_node(args, abs_cache_, scratch, bytes);
        } catch (...) {
          scratch_allocator_.release(scratch, bytes);
          throw;
        }
        scratch_allocator_.release(scratch, bytes);
        return;
      }
      case TaskOpKind::Charge: {
        BF_ASSERT(chunk != nullptr);
        const Node& node = g.node(op.node);
        charge_rows(*chunk, dtype, linear_view(op.reads.at(0), false), env.read(op.reads.at(1)),
                    charge_factors(g, node, dtype), bias_view(op.writes.at(0), true));
        return;
      }
      case TaskOpKind::Beta: {
        BF_ASSERT(chunk != nullptr);
        const BufferId iv = op.reads.at(2);
        apply_beta(*chunk, dtype, linear_view(op.writes.at(0), true), parameter_view(op.writes.at(1), true),
                   interval_of(env.read(iv), spec(iv)), branch_elements(op.writes.at(1)));
        return;
      }
      case TaskOpKind::BetaGradient: {
        BF_ASSERT(chunk != nullptr);
        beta_gradient(*chunk, dtype, linear_view(op.reads.at(0), false), parameter_view(op.writes.at(0), true),
                      branch_elements(op.writes.at(0)));
        return;
      }
      case TaskOpKind::Score: {
        BF_ASSERT(chunk != nullptr);
        const BufferId iv = op.reads.at(1);
        branch_scores(*chunk, dtype, linear_view(op.reads.at(0), false), interval_of(env.read(iv), spec(iv)),
                      parameter_view(op.writes.at(0), true), branch_elements(op.writes.at(0)));
        return;
      }
      case TaskOpKind::Interval:
      case TaskOpKind::Primal:
        fail(ErrorKind::Internal, "op kind {} in a linear task", task_op_kind_name(op.kind));
    }
  } catch (Error& e) {
    if (op.node >= 0) e.with_node(g.node(op.node).name, std::string(op_name(g.node(op.node).op)));
    throw;
  }
}

}  // namespace bf
