#include "runtime/reference_executor.h"

#include <cstring>

#include "support/error.h"
#include "support/timer.h"

namespace bf {

OutputBounds output_bounds_from_planes(std::string name, Shape shape, std::int64_t batch, DType dtype, const char* base,
                                       std::int64_t plane_bytes) {
  OutputBounds ob;
  ob.name = std::move(name);
  ob.shape = std::move(shape);
  ob.batch = batch;
  ob.lower = Tensor(dtype, {batch * numel(ob.shape)});
  ob.upper = Tensor(dtype, {batch * numel(ob.shape)});
  std::memcpy(ob.lower.raw_mutable_data(), base, ob.lower.nbytes());
  std::memcpy(ob.upper.raw_mutable_data(), base + plane_bytes, ob.upper.nbytes());
  return ob;
}

ReferenceExecutor::ReferenceExecutor(const PlanBundle& bundle) : bundle_(bundle) {
  BF_CHECK(bundle.graph != nullptr, ErrorKind::Internal, "reference executor without a graph");
  for (const auto& spec : bundle.storage.logical_buffers) {
    // A buffers (State ones, like the exported input coefficients, are not A).
    if (spec.layout == BufferLayout::Linear && spec.scope != BufferScope::State) {
      linear_buffer_[{spec.value, spec.sweep}] = spec.id;
    }
    if (spec.layout == BufferLayout::Dual) dual_buffer_[{spec.value, spec.sweep}] = spec.id;
  }
  for (const auto& task : bundle.task_graph.tasks) {
    for (const auto& op : task.ops) {
      if (op.kind == TaskOpKind::Relax) relax_buffer_[op.node] = op.writes.at(0);
    }
  }
}

const Tensor& ReferenceExecutor::constant(ValueId v) {
  const Tensor& t = bundle_.graph->constant(v);
  if (!is_floating(t.dtype()) || t.dtype() == bundle_.config.dtype) return t;
  auto it = converted_constants_.find(v);
  if (it == converted_constants_.end()) it = converted_constants_.emplace(v, t.cast(bundle_.config.dtype)).first;
  return it->second;
}

std::int64_t ReferenceExecutor::plane_bytes(BufferId logical) const {
  const BufferSpec& s = bundle_.storage.logical_buffers[static_cast<std::size_t>(logical)];
  return s.plane_elements() * static_cast<std::int64_t>(dtype_size(s.dtype));
}

void ReferenceExecutor::run_interval_op(const TaskOp& op, BufferEnvironment& env) {
  const Graph& g = *bundle_.graph;
  const StoragePlan& s = bundle_.storage;
  std::vector<IbpOperand> ins;
  for (ValueId v : op.inputs) {
    IbpOperand operand;
    if (v == kNoValue) {
      operand.present = false;
    } else if (g.is_constant(v)) {
      operand.is_constant = true;
      operand.constant = &constant(v);
      operand.shape = &operand.constant->shape();
    } else {
      const BufferId b = s.buffer_of(v);
      const auto* base = static_cast<const char*>(env.read(b));
      operand.bounds = {base, base + plane_bytes(b)};
      operand.shape = &g.type(v).shape;
    }
    ins.push_back(operand);
  }
  std::vector<IntervalOut> outs;
  std::vector<const Shape*> shapes;
  for (ValueId v : op.outputs) {
    const BufferId b = s.buffer_of(v);
    auto* base = static_cast<char*>(env.write(b));
    outs.push_back({base, base + plane_bytes(b)});
    shapes.push_back(&g.type(v).shape);
  }
  // Temporaries of the rule come from the executor's allocator, so they are
  // counted; the reference allocates them per op and frees them right after.
  const Node& node = g.node(op.node);
  const std::int64_t scratch_bytes = ibp_scratch_bytes(node, ins, shapes, bundle_.config.dtype, bundle_.config.batch);
  void* scratch_base = scratch_bytes > 0 ? scratch_allocator_.allocate(scratch_bytes) : nullptr;
  IbpScratch scratch(scratch_base, scratch_bytes);
  try {
    ibp_eval_op(node, ins, outs, shapes, bundle_.config.dtype, bundle_.config.batch, abs_cache_, scratch);
  } catch (...) {
    scratch_allocator_.release(scratch_base, scratch_bytes);
    throw;
  }
  scratch_allocator_.release(scratch_base, scratch_bytes);
}

void ReferenceExecutor::run_primal_op(const TaskOp& op, BufferEnvironment& env) {
  const Graph& g = *bundle_.graph;
  const StoragePlan& s = bundle_.storage;
  std::vector<ConstOperand> ins;
  for (ValueId v : op.inputs) {
    if (v == kNoValue) {
      ins.push_back(ConstOperand{nullptr, bundle_.config.dtype, nullptr, false});
    } else if (g.is_constant(v)) {
      const Tensor& t = constant(v);
      ins.push_back(ConstOperand{t.raw_data(), t.dtype(), &t.shape(), false});
    } else {
      const BufferId b = s.buffer_of(v);
      ins.push_back(
          ConstOperand{env.read(b), s.logical_buffers[static_cast<std::size_t>(b)].dtype, &g.type(v).shape, true});
    }
  }
  std::vector<MutOperand> outs;
  for (ValueId v : op.outputs) {
    const BufferId b = s.buffer_of(v);
    outs.push_back(MutOperand{env.write(b), s.logical_buffers[static_cast<std::size_t>(b)].dtype, &g.type(v).shape});
  }
  try {
    eval_op(g.node(op.node), ins, outs, bundle_.config.batch);
  } catch (Error& e) {
    e.with_node(g.node(op.node).name, std::string(op_name(op.op)));
    throw;
  }
}

void ReferenceExecutor::run_task(const Task& task, std::int64_t first_op, BufferEnvironment& env) {
  if (task.kind == TaskKind::Sweep) {
    run_sweep(task, first_op, env);
    return;
  }
  for (std::size_t i = 0; i < task.ops.size(); ++i) {
    const TaskOp& op = task.ops[i];
    if (op.kind == TaskOpKind::Interval) {
      run_interval_op(op, env);
    } else if (op.kind == TaskOpKind::Primal) {
      run_primal_op(op, env);
    } else {
      run_linear_op(op, nullptr, env);
    }
    env.after_op(first_op + static_cast<std::int64_t>(i));
  }
}

std::vector<OutputBounds> ReferenceExecutor::run_bounds(const InputRegion& region, PlannedRunStats* stats) {
  BoundRunResult r = run(region);
  if (stats) *stats = r.stats;
  return std::move(r.outputs);
}

BoundRunResult ReferenceExecutor::run(const InputRegion& region, std::span<const StateBinding> state) {
  const Graph& g = *bundle_.graph;
  BF_CHECK(bundle_.config.domain != PlanDomain::Primal, ErrorKind::Usage, "bounds need an interval or linear plan");
  BF_CHECK(g.inputs().size() == 1, ErrorKind::Unsupported, "bounds need a single-input graph, this one has {}",
           g.inputs().size());
  BF_CHECK(region.dtype == bundle_.config.dtype && region.batch == bundle_.config.batch, ErrorKind::Usage,
           "input region is {} x{} but the plan is {} x{}", dtype_name(region.dtype), region.batch,
           dtype_name(bundle_.config.dtype), bundle_.config.batch);
  check_region(region);
  check_state_bindings(bundle_, state);
  const ValueId x = g.inputs()[0];
  BF_CHECK(numel(region.shape) == numel(g.type(x).shape) && region.lower.dtype() == bundle_.config.dtype &&
               region.upper.dtype() == bundle_.config.dtype,
           ErrorKind::Shape, "input region {} {} does not fit the graph input {}", dtype_name(region.lower.dtype()),
           shape_str(region.shape), g.type(x).str());

  Stopwatch watch;
  allocator_.reset_counters();
  scratch_allocator_.reset_counters();
  BoundRunResult result;
  {
    BufferEnvironment env(bundle_, allocator_);
    const BufferId xb = bundle_.storage.buffer_of(x);
    auto* base = static_cast<char*>(env.write(xb));
    std::memcpy(base, region.lower.raw_data(), region.lower.nbytes());
    std::memcpy(base + plane_bytes(xb), region.upper.raw_data(), region.upper.nbytes());
    auto state_bytes = [&](BufferId b) {
      const BufferSpec& sp = bundle_.storage.logical_buffers[static_cast<std::size_t>(b)];
      return static_cast<std::size_t>(layout_planes(sp.layout) * sp.plane_bytes());
    };
    for (const auto& sb : state) {
      void* p = env.write(sb.buffer);
      if (sb.in) {
        std::memcpy(p, sb.data, state_bytes(sb.buffer));
      } else {
        std::memset(p, 0, state_bytes(sb.buffer));
      }
    }
    run_schedule(bundle_, *this, env);
    result = exported_bounds(bundle_, [&](BufferId b) { return static_cast<const char*>(env.read(b)); });
    for (const auto& sb : state) {
      if (sb.out) std::memcpy(sb.data, env.read(sb.buffer), state_bytes(sb.buffer));
    }
  }
  result.stats.memory = allocator_.stats();
  result.stats.scratch = scratch_allocator_.stats();
  result.stats.prepared_param_bytes = abs_cache_.bytes();
  result.stats.run_ms = watch.elapsed_ms();
  return result;
}

std::vector<Tensor> ReferenceExecutor::run_forward(const std::vector<Tensor>& inputs, PlannedRunStats* stats) {
  const Graph& g = *bundle_.graph;
  BF_CHECK(bundle_.config.domain == PlanDomain::Primal, ErrorKind::Usage, "run_forward needs a primal plan");
  BF_CHECK(inputs.size() == g.inputs().size(), ErrorKind::Usage, "{} inputs given, the graph has {}", inputs.size(),
           g.inputs().size());
  Stopwatch watch;
  allocator_.reset_counters();
  std::vector<Tensor> result;
  {
    BufferEnvironment env(bundle_, allocator_);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const ValueId x = g.inputs()[i];
      const BufferId xb = bundle_.storage.buffer_of(x);
      const Tensor in = inputs[i].dtype() == bundle_.config.dtype ? inputs[i] : inputs[i].cast(bundle_.config.dtype);
      BF_CHECK(in.numel() == bundle_.config.batch * g.type(x).numel(), ErrorKind::Shape,
               "input '{}' has {} values, expected {} (batch {} of {})", g.value(x).name, in.numel(),
               bundle_.config.batch * g.type(x).numel(), bundle_.config.batch, g.type(x).str());
      std::memcpy(env.write(xb), in.raw_data(), in.nbytes());
    }
    run_schedule(bundle_, *this, env);
    for (ValueId y : g.outputs()) {
      const BufferId yb = bundle_.storage.buffer_of(y);
      Tensor out(bundle_.storage.logical_buffers[static_cast<std::size_t>(yb)].dtype,
                 {bundle_.config.batch * g.type(y).numel()});
      std::memcpy(out.raw_mutable_data(), env.read(yb), out.nbytes());
      result.push_back(std::move(out));
    }
  }
  if (stats) {
    stats->memory = allocator_.stats();
    stats->run_ms = watch.elapsed_ms();
  }
  return result;
}

}  // namespace bf
