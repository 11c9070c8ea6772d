#include "runtime/compiled/rounding_kernels.h"

#include <fmt/format.h>

#include "bound/rounding/rounding_account.h"
#include "runtime/account_op.h"
#include "support/error.h"

namespace bf {
namespace {

const BufferSpec& spec_of(const PlanBundle& plan, BufferId b) {
  return plan.storage.logical_buffers.at(static_cast<std::size_t>(b));
}

class AccountKernel final : public CompiledKernel {
 public:
  AccountKernel(const PlanBundle& plan, const TaskOp& op)
      : graph_(plan.graph),
        node_(plan.graph->node(op.node)),
        dtype_(plan.config.dtype),
        batch_(plan.config.batch),
        batch_account_(plan.config.batch_account) {
    const Graph& g = *graph_;
    layout_ = account_op_layout(plan, op);
    out_shape_ = g.type(node_.outputs[0]).shape;
    constants_.resize(node_.inputs.size());
    for (std::size_t i = 0; i < node_.inputs.size(); ++i) {
      if (!layout_.operands[i].constant) continue;
      const Tensor& t = g.constant(node_.inputs[i]);
      constants_[i] = is_floating(t.dtype()) && t.dtype() != dtype_ ? t.cast(dtype_) : t;
    }
    std::vector<AccountOperand> ops = operands(nullptr);
    scratch_ = account_scratch_bytes(args(ops, nullptr, RelaxView{}, IntervalOut{}));
    allocates_ = ibp_rule_allocates_internally(node_, dtype_);
  }
  std::string name() const override { return fmt::format("account[{}]", op_name(node_.op)); }
  std::int64_t scratch_bytes() const override { return scratch_; }
  bool static_plannable() const override { return !allocates_; }

  void run(const KernelIO& io) override {
    std::vector<AccountOperand> ops = operands(&io);
    RelaxView relax;
    if (layout_.relax_read >= 0) {
      const auto& r = io.inputs[static_cast<std::size_t>(layout_.relax_read)];
      const auto* base = static_cast<const char*>(r.lower);
      const std::ptrdiff_t plane = static_cast<const char*>(r.upper) - base;
      relax = {base, base + plane, base + 2 * plane, base + 3 * plane};
    }
    IntervalOut widen;
    if (layout_.widen_write >= 0) {
      const auto& w = io.outputs[static_cast<std::size_t>(layout_.widen_write)];
      widen = {w.lower, w.upper};
    }
    account_node(args(ops, io.outputs[0].lower, relax, widen), abs_cache_, io.scratch, scratch_);
  }

 private:
  std::vector<AccountOperand> operands(const KernelIO* io) const {
    const Graph& g = *graph_;
    std::vector<AccountOperand> ops(node_.inputs.size());
    for (std::size_t i = 0; i < node_.inputs.size(); ++i) {
      const auto& lo = layout_.operands[i];
      AccountOperand& o = ops[i];
      o.ibp.present = lo.present;
      if (!lo.present) continue;
      if (lo.constant) {
        o.ibp.is_constant = true;
        o.ibp.constant = &constants_[i];
        o.ibp.shape = &constants_[i].shape();
        continue;
      }
      o.ibp.shape = &g.type(node_.inputs[i]).shape;
      if (io == nullptr) continue;
      const auto& in = io->inputs[static_cast<std::size_t>(lo.read)];
      if (lo.interval) {
        o.ibp.bounds = {in.lower, in.upper};
      } else {
        o.magnitude = in.lower;
      }
    }
    return ops;
  }

  AccountArgs args(const std::vector<AccountOperand>& ops, void* account, RelaxView relax, IntervalOut widen) const {
    return AccountArgs{node_, *graph_, ops, out_shape_, dtype_, batch_, relax, widen, account, batch_account_};
  }

  std::shared_ptr<const Graph> graph_;
  Node node_;
  DType dtype_;
  std::int64_t batch_;
  bool batch_account_;
  AccountOpLayout layout_;
  Shape out_shape_;
  std::vector<Tensor> constants_;
  AbsWeightCache abs_cache_;
  std::int64_t scratch_ = 0;
  bool allocates_ = false;
};

class ChargeKernel final : public CompiledKernel {
 public:
  ChargeKernel(const PlanBundle& plan, const TaskOp& op) : dtype_(plan.config.dtype) {
    const Graph& g = *plan.graph;
    const Node& node = g.node(op.node);
    name_ = fmt::format("charge[{}]", op_name(node.op));
    factors_ = charge_factors(g, node, dtype_);
    const BufferSpec& a = spec_of(plan, op.reads.at(0));
    const SweepInfo& sw = plan.sweeps.at(static_cast<std::size_t>(a.sweep));
    window_ = a.window;
    value_shape_ = g.type(a.value).shape;
    elements_ = a.shape.at(1);
    lower_ = sw.lower;
    upper_ = sw.upper;
  }
  std::string name() const override { return name_; }
  std::int64_t scratch_bytes() const override { return 0; }

  void run(const KernelIO& io) override {
    LinearView at;
    at.lower = lower_ ? const_cast<void*>(io.inputs[0].lower) : nullptr;
    at.upper = upper_ ? const_cast<void*>(io.inputs[0].upper) : nullptr;
    at.window = window_;
    at.value_shape = value_shape_;
    at.elements = elements_;
    charge_rows(*io.chunk, dtype_, at, io.inputs[1].lower, factors_,
                BiasView{io.outputs[0].lower, io.outputs[0].upper});
  }

 private:
  DType dtype_;
  std::string name_;
  ChargeFactors factors_;
  LinearWindow window_;
  Shape value_shape_;
  std::int64_t elements_ = 0;
  bool lower_ = true, upper_ = true;
};

}  // namespace

std::unique_ptr<CompiledKernel> make_rounding_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op) {
  switch (kind) {
    case StepKind::Account:
      return std::make_unique<AccountKernel>(plan, op);
    case StepKind::Charge:
      return std::make_unique<ChargeKernel>(plan, op);
    default:
      fail(ErrorKind::Internal, "{} is not a rounding account step", step_kind_name(kind));
  }
}

}  // namespace bf
