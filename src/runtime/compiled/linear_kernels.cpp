#include "runtime/compiled/linear_kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bound/linear/backward.h"
#include "bound/linear/beta_steps.h"
#include "bound/linear/concretize.h"
#include "bound/linear/dual.h"
#include "bound/linear/linear_rules.h"
#include "bound/linear/relaxation.h"
#include "bound/linear/sweep_steps.h"
#include "runtime/compiled/alpha_kernels.h"
#include "runtime/compiled/linear_fast_kernels.h"
#include "runtime/compiled/rounding_kernels.h"
#include "support/error.h"

namespace bf {
namespace {

const BufferSpec& spec_of(const PlanBundle& plan, BufferId b) {
  return plan.storage.logical_buffers.at(static_cast<std::size_t>(b));
}

// Geometry of a Linear buffer, captured at compile time.
struct LinearInfo {
  LinearWindow window;
  Shape value_shape;
  std::int64_t elements = 0;
  bool lower = true, upper = true;
};

LinearInfo linear_info(const PlanBundle& plan, BufferId b) {
  const BufferSpec& s = spec_of(plan, b);
  const SweepInfo& sw = plan.sweeps.at(static_cast<std::size_t>(s.sweep));
  return {s.window, plan.graph->type(s.value).shape, s.shape.at(1), sw.lower, sw.upper};
}

LinearView view_of(const LinearInfo& i, const void* lower, const void* upper) {
  LinearView v;
  v.lower = i.lower ? const_cast<void*>(lower) : nullptr;
  v.upper = i.upper ? const_cast<void*>(upper) : nullptr;
  v.window = i.window;
  v.value_shape = i.value_shape;
  v.elements = i.elements;
  return v;
}

// Plane k of a buffer handed over as its first two planes.
template <typename P>
const char* plane(const P& io, int k) {
  const auto* base = static_cast<const char*>(io.lower);
  return base + k * (static_cast<const char*>(io.upper) - base);
}

class RelaxKernel final : public CompiledKernel {
 public:
  RelaxKernel(const Graph& g, const Node& node, DType dtype, std::int64_t batch, bool sound)
      : node_(node),
        dtype_(dtype),
        batch_(batch),
        in_shape_(g.type(node.inputs[0]).shape),
        out_shape_(g.type(node.outputs[0]).shape),
        sound_(sound) {}
  std::string name() const override { return fmt::format("relax[{}]{}", op_name(node_.op), sound_ ? "+sound" : ""); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    void* planes[4];
    for (int k = 0; k < 4; ++k) planes[k] = const_cast<char*>(plane(io.outputs[0], k));
    compute_relaxation(node_, dtype_, batch_, in_shape_, out_shape_, {io.inputs[0].lower, io.inputs[0].upper}, planes,
                       sound_);
  }

 private:
  Node node_;
  DType dtype_;
  std::int64_t batch_;
  Shape in_shape_, out_shape_;
  bool sound_;
};

class SelectKernel final : public CompiledKernel {
 public:
  SelectKernel(const SweepInfo& sweep, DType dtype, std::int64_t batch, std::int64_t interval_bytes)
      : sweep_(sweep), dtype_(dtype), batch_(batch), interval_bytes_(interval_bytes) {}
  std::string name() const override { return fmt::format("select[{}]", sweep_rows_name(sweep_.rows)); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    SweepRowsView rows(io.outputs[0].lower, sweep_.row_capacity);
    IntervalView reference;
    if (sweep_.rows == SweepRows::Unstable) reference = {io.inputs[0].lower, io.inputs[0].upper};
    select_rows(sweep_.rows, dtype_, batch_, sweep_.row_capacity / batch_, reference, rows);
    if (sweep_.rows == SweepRows::All) std::memset(io.outputs[1].lower, 0, static_cast<std::size_t>(interval_bytes_));
  }

 private:
  SweepInfo sweep_;
  DType dtype_;
  std::int64_t batch_, interval_bytes_;
};

class SeedKernel final : public CompiledKernel {
 public:
  SeedKernel(LinearInfo start, DType dtype) : start_(std::move(start)), dtype_(dtype) {}
  std::string name() const override { return "seed"; }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    seed_rows(*io.chunk, dtype_, view_of(start_, io.outputs[0].lower, io.outputs[0].upper),
              BiasView{io.outputs[1].lower, io.outputs[1].upper});
  }

 private:
  LinearInfo start_;
  DType dtype_;
};

// Any op: the reference rule of bound/linear with its operands bound at compile time.
class BackwardRuleKernel final : public CompiledKernel {
 public:
  BackwardRuleKernel(const PlanBundle& plan, const TaskOp& op) : node_(plan.graph->node(op.node)) {
    const Graph& g = *plan.graph;
    dtype_ = plan.config.dtype;
    sound_ = plan.config.sound_fp;
    out_ = linear_info(plan, op.reads.at(0));
    relaxed_ = linear_rule(node_.op).relax != RelaxKind::None;
    std::map<ValueId, std::size_t> write_of;
    for (std::size_t w = 0; w < op.writes.size(); ++w) {
      const BufferSpec& s = spec_of(plan, op.writes[w]);
      if (s.layout == BufferLayout::Linear) write_of[s.value] = w;
    }
    const BufferId bias = plan.sweeps.at(static_cast<std::size_t>(op.start)).bias_buffer;
    bias_write_ = static_cast<std::size_t>(std::find(op.writes.begin(), op.writes.end(), bias) - op.writes.begin());
    for (std::size_t r = 0; r < op.reads.size(); ++r) {
      const BufferSpec& s = spec_of(plan, op.reads[r]);
      if (s.layout == BufferLayout::Alpha) {
        alpha_read_ = static_cast<std::int64_t>(r);
        alpha_params_ = alpha_params(node_);
        alpha_elements_ = s.shape.at(1) / alpha_params_;
        alpha_write_ =
            static_cast<std::size_t>(std::find(op.writes.begin(), op.writes.end(), op.reads[r]) - op.writes.begin());
      }
      if (s.layout == BufferLayout::Interval && s.value == node_.inputs[0]) input_read_ = static_cast<std::int64_t>(r);
    }
    for (ValueId v : node_.inputs) {
      Operand o;
      if (v != kNoValue) {
        o.shape = g.type(v).shape;
        o.present = true;
        if (g.is_constant(v)) {
          const Tensor& t = g.constant(v);
          o.constant = is_floating(t.dtype()) && t.dtype() != dtype_ ? t.cast(dtype_) : t;
          o.has_constant = true;
        } else {
          o.write = write_of.at(v);
          o.info = linear_info(plan, op.writes[o.write]);
          o.accumulate = op.accumulate.at(o.write);
        }
      }
      operands_.push_back(std::move(o));
    }
  }
  std::string name() const override { return fmt::format("backward_rule[{}]", op_name(node_.op)); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    const std::size_t n = operands_.size();
    std::vector<LinearTarget> targets(n);
    std::vector<const Tensor*> constants(n, nullptr);
    std::vector<const Shape*> shapes(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) {
      const Operand& o = operands_[i];
      if (!o.present) continue;
      shapes[i] = &o.shape;
      if (o.has_constant) {
        constants[i] = &o.constant;
        continue;
      }
      targets[i].view = view_of(o.info, io.outputs[o.write].lower, io.outputs[o.write].upper);
      targets[i].active = true;
      targets[i].accumulate = o.accumulate;
    }
    RelaxView relax;
    if (relaxed_)
      relax = {plane(io.inputs[1], 0), plane(io.inputs[1], 1), plane(io.inputs[1], 2), plane(io.inputs[1], 3)};
    const LinearView out = view_of(out_, io.inputs[0].lower, io.inputs[0].upper);
    const BiasView bias{io.outputs[bias_write_].lower, io.outputs[bias_write_].upper};
    BackwardArgs args{node_, *io.chunk, dtype_, out, targets, constants, shapes, bias, relax};
    args.sound = sound_;
    if (alpha_read_ >= 0) {
      const auto& a = io.outputs[alpha_write_];
      args.alpha = AlphaView{a.lower, a.upper, alpha_elements_, alpha_params_};
      args.input = {io.inputs[static_cast<std::size_t>(input_read_)].lower,
                    io.inputs[static_cast<std::size_t>(input_read_)].upper};
    }
    prepare_targets(args);
    linear_rule(node_.op).backward(args);
  }

 private:
  std::int64_t alpha_read_ = -1, input_read_ = -1, alpha_elements_ = 0;
  std::size_t alpha_write_ = 0;
  int alpha_params_ = 0;
  struct Operand {
    bool present = false, has_constant = false, accumulate = false;
    Shape shape;
    Tensor constant;
    std::size_t write = 0;
    LinearInfo info;
  };
  Node node_;
  DType dtype_ = DType::F32;
  LinearInfo out_;
  bool relaxed_ = false, sound_ = false;
  std::size_t bias_write_ = 0;
  std::vector<Operand> operands_;
};

class ConcretizeKernel final : public CompiledKernel {
 public:
  ConcretizeKernel(const PlanBundle& plan, const TaskOp& op)
      : sweep_(plan.sweeps.at(static_cast<std::size_t>(op.start))),
        at_input_(linear_info(plan, op.reads.at(0))),
        dtype_(plan.config.dtype),
        plan_numel_(plan.graph->type(sweep_.value).numel()),
        sound_(plan.config.sound_fp) {}
  std::string name() const override { return sound_ ? "concretize+sound" : "concretize"; }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    ConcretizeTarget target{io.outputs[0].lower, io.outputs[0].upper,
                            plan_numel_ > 0 ? plan_numel_ : sweep_.row_capacity / c.batch, sweep_.alpha};
    target.sound = sound_;
    if (sweep_.export_buffer >= 0) {
      target.export_lower = io.outputs[1].lower;
      target.export_upper = io.outputs[1].upper;
    }
    const LinearView at = view_of(at_input_, io.inputs[0].lower, io.inputs[0].upper);
    const BiasView bias{const_cast<void*>(io.inputs[1].lower), const_cast<void*>(io.inputs[1].upper)};
    concretize_fast(c, dtype_, at, bias, {io.inputs[2].lower, io.inputs[2].upper}, target);
  }

 private:
  SweepInfo sweep_;
  LinearInfo at_input_;
  DType dtype_;
  std::int64_t plan_numel_ = 0;
  bool sound_ = false;
};

// alpha: a swept value's interval from the best bounds so far (and this run's IBP bounds).
class RestoreKernel final : public CompiledKernel {
 public:
  RestoreKernel(const PlanBundle& plan, const TaskOp& op)
      : dtype_(plan.config.dtype),
        intersect_(op.reads.size() > 1),
        n_(spec_of(plan, op.writes.at(0)).plane_elements()) {}
  std::string name() const override { return intersect_ ? "restore[intersect]" : "restore"; }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    if (dtype_ == DType::F32) {
      restore<float>(io);
    } else {
      restore<double>(io);
    }
  }

 private:
  template <typename T>
  void restore(const KernelIO& io) const {
    const T* fl = static_cast<const T*>(io.inputs[0].lower);
    const T* fu = static_cast<const T*>(io.inputs[0].upper);
    T* tl = static_cast<T*>(io.outputs[0].lower);
    T* tu = static_cast<T*>(io.outputs[0].upper);
    for (std::int64_t i = 0; i < n_; ++i) {
      tl[i] = intersect_ ? std::max(tl[i], fl[i]) : fl[i];
      tu[i] = intersect_ ? std::min(tu[i], fu[i]) : fu[i];
    }
  }
  DType dtype_;
  bool intersect_;
  std::int64_t n_;
};

class DualSeedKernel final : public CompiledKernel {
 public:
  DualSeedKernel(const PlanBundle& plan, const TaskOp& op)
      : at_input_(linear_info(plan, op.reads.at(0))),
        d_(linear_info(plan, op.writes.at(0))),
        dtype_(plan.config.dtype) {}
  std::string name() const override { return "dual_seed"; }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    dual_seed(*io.chunk, dtype_, view_of(at_input_, io.inputs[0].lower, io.inputs[0].upper),
              {io.inputs[1].lower, io.inputs[1].upper}, view_of(d_, io.outputs[0].lower, io.outputs[0].upper));
  }

 private:
  LinearInfo at_input_, d_;
  DType dtype_;
};

// Any op: the reference dual rule of bound/linear with its operands bound at compile time.
class DualRuleKernel final : public CompiledKernel {
 public:
  DualRuleKernel(const PlanBundle& plan, const TaskOp& op) : node_(plan.graph->node(op.node)) {
    const Graph& g = *plan.graph;
    dtype_ = plan.config.dtype;
    std::map<ValueId, std::size_t> read_of;
    for (std::size_t r = 0; r < op.reads.size(); ++r) {
      const BufferSpec& s = spec_of(plan, op.reads[r]);
      if (s.layout == BufferLayout::Dual) read_of[s.value] = r;
      if (s.layout == BufferLayout::Linear) coeff_ = {static_cast<std::int64_t>(r), linear_info(plan, op.reads[r])};
      if (s.layout == BufferLayout::Relaxation) relax_read_ = static_cast<std::int64_t>(r);
      if (s.layout == BufferLayout::Alpha) {
        alpha_read_ = static_cast<std::int64_t>(r);
        alpha_params_ = alpha_params(node_);
        alpha_elements_ = s.shape.at(1) / alpha_params_;
      }
      if (s.layout == BufferLayout::Interval && s.value == node_.inputs[0]) input_read_ = static_cast<std::int64_t>(r);
    }
    out_ = linear_info(plan, op.writes.at(0));
    for (ValueId v : node_.inputs) {
      Operand o;
      if (v != kNoValue) {
        o.shape = g.type(v).shape;
        o.present = true;
        if (g.is_constant(v)) {
          const Tensor& t = g.constant(v);
          o.constant = is_floating(t.dtype()) && t.dtype() != dtype_ ? t.cast(dtype_) : t;
          o.has_constant = true;
        } else {
          o.read = read_of.at(v);
          o.info = linear_info(plan, op.reads[o.read]);
        }
      }
      operands_.push_back(std::move(o));
    }
  }
  std::string name() const override { return fmt::format("dual_rule[{}]", op_name(node_.op)); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    const std::size_t n = operands_.size();
    std::vector<LinearView> ins(n);
    std::vector<const Tensor*> constants(n, nullptr);
    std::vector<const Shape*> shapes(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) {
      const Operand& o = operands_[i];
      if (!o.present) continue;
      shapes[i] = &o.shape;
      if (o.has_constant) {
        constants[i] = &o.constant;
        continue;
      }
      ins[i] = view_of(o.info, io.inputs[o.read].lower, io.inputs[o.read].upper);
    }
    const LinearView out = view_of(out_, io.outputs[0].lower, io.outputs[0].upper);
    DualArgs args{node_, *io.chunk, dtype_, ins, constants, shapes, out};
    LinearView coeff;
    if (coeff_.first >= 0) {
      const auto& c = io.inputs[static_cast<std::size_t>(coeff_.first)];
      coeff = view_of(coeff_.second, c.lower, c.upper);
      args.coeff = &coeff;
    }
    if (relax_read_ >= 0) {
      const auto& r = io.inputs[static_cast<std::size_t>(relax_read_)];
      args.relax = {plane(r, 0), plane(r, 1), plane(r, 2), plane(r, 3)};
    }
    if (alpha_read_ >= 0) {
      const auto& a = io.inputs[static_cast<std::size_t>(alpha_read_)];
      args.alpha = AlphaView{const_cast<void*>(a.lower), const_cast<void*>(a.upper), alpha_elements_, alpha_params_};
      args.grad = AlphaView{io.outputs[1].lower, io.outputs[1].upper, alpha_elements_, alpha_params_};
      const auto& iv = io.inputs[static_cast<std::size_t>(input_read_)];
      args.input = {iv.lower, iv.upper};
    }
    linear_rule(node_.op).dual(args);
  }

 private:
  struct Operand {
    bool present = false, has_constant = false;
    Shape shape;
    Tensor constant;
    std::size_t read = 0;
    LinearInfo info;
  };
  Node node_;
  DType dtype_ = DType::F32;
  LinearInfo out_;
  std::pair<std::int64_t, LinearInfo> coeff_{-1, {}};
  std::int64_t relax_read_ = -1, alpha_read_ = -1, input_read_ = -1, alpha_elements_ = 0;
  int alpha_params_ = 0;
  std::vector<Operand> operands_;
};

// beta-CROWN's steps (bound/linear/beta_steps.h): one parameter per element of a row.
class BetaStepKernel final : public CompiledKernel {
 public:
  BetaStepKernel(StepKind kind, const PlanBundle& plan, const TaskOp& op) : kind_(kind), dtype_(plan.config.dtype) {
    const BufferId rows = kind == StepKind::Beta ? op.writes.at(0) : op.reads.at(0);
    rows_ = linear_info(plan, rows);
    const BufferId params = kind == StepKind::Beta ? op.writes.at(1) : op.writes.at(0);
    const BufferSpec& ps = spec_of(plan, params);
    elements_ = ps.shape.at(1);
    branch_ = plan.sweeps.at(static_cast<std::size_t>(ps.sweep)).branch_elements.at(ps.value);
    value_elements_ = plan.graph->type(ps.value).numel();
  }
  std::string name() const override { return step_kind_name(kind_); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    auto params = [&](const auto& p) { return AlphaView{p.lower, p.upper, elements_, 1}; };
    const BranchElements at{branch_.data(), static_cast<std::int64_t>(branch_.size()), value_elements_};
    switch (kind_) {
      case StepKind::Beta:
        apply_beta(*io.chunk, dtype_, view_of(rows_, io.outputs[0].lower, io.outputs[0].upper), params(io.outputs[1]),
                   {io.inputs[2].lower, io.inputs[2].upper}, at);
        return;
      case StepKind::BetaGradient:
        beta_gradient(*io.chunk, dtype_, view_of(rows_, io.inputs[0].lower, io.inputs[0].upper), params(io.outputs[0]),
                      at);
        return;
      case StepKind::Score:
        branch_scores(*io.chunk, dtype_, view_of(rows_, io.inputs[0].lower, io.inputs[0].upper),
                      {io.inputs[1].lower, io.inputs[1].upper}, params(io.outputs[0]), at);
        return;
      default:
        fail(ErrorKind::Internal, "{} is not a beta step", step_kind_name(kind_));
    }
  }

 private:
  StepKind kind_;
  DType dtype_;
  LinearInfo rows_;
  std::int64_t elements_ = 0;
  std::vector<std::int64_t> branch_;  // the elements of z the parameters stand for
  std::int64_t value_elements_ = 0;
};

}  // namespace

std::unique_ptr<CompiledKernel> make_linear_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op) {
  const Graph& g = *plan.graph;
  const DType dtype = plan.config.dtype;
  const std::int64_t batch = plan.config.batch;
  switch (kind) {
    case StepKind::Relax:
      return std::make_unique<RelaxKernel>(g, g.node(op.node), dtype, batch, plan.config.sound_fp);
    case StepKind::Select: {
      const SweepInfo& sw = plan.sweeps.at(static_cast<std::size_t>(op.start));
      return std::make_unique<SelectKernel>(sw, dtype, batch, spec_of(plan, op.writes.at(1)).bytes);
    }
    case StepKind::Seed:
      return std::make_unique<SeedKernel>(linear_info(plan, op.writes.at(0)), dtype);
    case StepKind::Backward:
      return std::make_unique<BackwardRuleKernel>(plan, op);
    case StepKind::BackwardAffine:
    case StepKind::BackwardConv:
    case StepKind::BackwardRelaxed:
    case StepKind::BackwardView:
      return make_fast_backward_kernel(kind, plan, op);
    case StepKind::Concretize:
      return std::make_unique<ConcretizeKernel>(plan, op);
    case StepKind::Restore:
      return std::make_unique<RestoreKernel>(plan, op);
    case StepKind::DualSeed:
      return std::make_unique<DualSeedKernel>(plan, op);
    case StepKind::Dual:
      return std::make_unique<DualRuleKernel>(plan, op);
    case StepKind::BackwardReluAlpha:
    case StepKind::DualSeedDense:
    case StepKind::DualRelu:
    case StepKind::DualAffine:
    case StepKind::DualView:
    case StepKind::DualConv:
      return make_alpha_kernel(kind, plan, op);
    case StepKind::Account:
    case StepKind::Charge:
      return make_rounding_kernel(kind, plan, op);
    case StepKind::Beta:
    case StepKind::BetaGradient:
    case StepKind::Score:
      return std::make_unique<BetaStepKernel>(kind, plan, op);
    default:
      fail(ErrorKind::Internal, "{} is not a linear step", step_kind_name(kind));
  }
}

}  // namespace bf
