#include "runtime/compiled/step_kernels.h"

#include <fmt/format.h>

#include "kernels/op_eval.h"
#include "support/error.h"

namespace bf {
namespace {

std::vector<const Shape*> shape_ptrs(const std::vector<Shape>& shapes) {
  std::vector<const Shape*> out;
  for (const auto& s : shapes) out.push_back(&s);
  return out;
}

class MonotoneKernel final : public CompiledKernel {
 public:
  MonotoneKernel(const Node& node, std::vector<BoundOperand> operands, std::vector<Shape> output_shapes, DType dtype,
                 std::int64_t batch)
      : node_(node),
        operands_(std::move(operands)),
        output_shapes_(std::move(output_shapes)),
        dtype_(dtype),
        batch_(batch) {}

  std::string name() const override { return fmt::format("monotone[{}]", op_name(node_.op)); }
  std::int64_t scratch_bytes() const override { return 0; }

  void run(const KernelIO& io) override {
    for (int plane = 0; plane < 2; ++plane) {
      std::vector<ConstOperand> ins;
      for (const auto& op : operands_) {
        switch (op.kind) {
          case BoundOperand::Kind::Absent:
            ins.push_back({nullptr, dtype_, nullptr, false});
            break;
          case BoundOperand::Kind::Constant:
            ins.push_back({op.constant.raw_data(), op.constant.dtype(), &op.constant.shape(), false});
            break;
          case BoundOperand::Kind::Activation: {
            const IntervalIn& b = io.inputs[static_cast<std::size_t>(op.index)];
            ins.push_back({plane == 0 ? b.lower : b.upper, dtype_, &op.shape, true});
            break;
          }
        }
      }
      std::vector<MutOperand> outs;
      for (std::size_t o = 0; o < output_shapes_.size(); ++o) {
        outs.push_back({plane == 0 ? io.outputs[o].lower : io.outputs[o].upper, dtype_, &output_shapes_[o]});
      }
      eval_op(node_, ins, outs, batch_);
    }
  }

 private:
  Node node_;
  std::vector<BoundOperand> operands_;
  std::vector<Shape> output_shapes_;
  DType dtype_;
  std::int64_t batch_;
};

class RuleKernel final : public CompiledKernel {
 public:
  RuleKernel(const Node& node, std::vector<BoundOperand> operands, std::vector<Shape> output_shapes, DType dtype,
             std::int64_t batch)
      : node_(node),
        operands_(std::move(operands)),
        output_shapes_(std::move(output_shapes)),
        dtype_(dtype),
        batch_(batch) {
    std::vector<IbpOperand> ins = operands_for({});
    auto shapes = shape_ptrs(output_shapes_);
    scratch_ = ibp_scratch_bytes(node_, ins, shapes, dtype_, batch_);
    // |W| once, at compile time, for rules that use it.
    for (const auto& op : operands_) {
      if (op.kind == BoundOperand::Kind::Constant && is_floating(op.constant.dtype())) abs_cache_.abs_of(op.constant);
    }
  }

  std::string name() const override { return fmt::format("interval_rule[{}]", op_name(node_.op)); }
  std::int64_t scratch_bytes() const override { return scratch_; }
  bool static_plannable() const override { return !ibp_rule_allocates_internally(node_, dtype_); }
  std::int64_t prepared_bytes() const override { return abs_cache_.bytes(); }

  void run(const KernelIO& io) override {
    std::vector<IbpOperand> ins = operands_for(io.inputs);
    auto shapes = shape_ptrs(output_shapes_);
    IbpScratch scratch(io.scratch, scratch_);
    ibp_eval_op(node_, ins, io.outputs, shapes, dtype_, batch_, abs_cache_, scratch);
  }

 private:
  std::vector<IbpOperand> operands_for(std::span<const IntervalIn> inputs) const {
    std::vector<IbpOperand> ins;
    for (const auto& op : operands_) {
      IbpOperand o;
      o.shape = &op.shape;
      switch (op.kind) {
        case BoundOperand::Kind::Absent:
          o.present = false;
          break;
        case BoundOperand::Kind::Constant:
          o.is_constant = true;
          o.constant = &op.constant;
          break;
        case BoundOperand::Kind::Activation:
          if (!inputs.empty()) o.bounds = inputs[static_cast<std::size_t>(op.index)];
          break;
      }
      ins.push_back(o);
    }
    return ins;
  }

  Node node_;
  std::vector<BoundOperand> operands_;
  std::vector<Shape> output_shapes_;
  DType dtype_;
  std::int64_t batch_;
  std::int64_t scratch_ = 0;
  AbsWeightCache abs_cache_;
};

class AliasKernel final : public CompiledKernel {
 public:
  explicit AliasKernel(OpKind op) : op_(op) {}
  std::string name() const override { return fmt::format("alias[{}]", op_name(op_)); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO&) override {}

 private:
  OpKind op_;
};

}  // namespace

std::vector<BoundOperand> bind_operands(const Graph& graph, const Node& node, DType dtype) {
  std::vector<BoundOperand> out;
  std::int32_t next = 0;
  for (ValueId v : node.inputs) {
    BoundOperand b;
    if (v == kNoValue) {
      b.kind = BoundOperand::Kind::Absent;
    } else if (graph.is_constant(v)) {
      b.kind = BoundOperand::Kind::Constant;
      const Tensor& t = graph.constant(v);
      b.constant = is_floating(t.dtype()) && t.dtype() != dtype ? t.cast(dtype) : t;
      b.shape = t.shape();
    } else {
      b.kind = BoundOperand::Kind::Activation;
      b.index = next++;
      b.shape = graph.type(v).shape;
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::unique_ptr<CompiledKernel> make_monotone_kernel(const Node& node, std::vector<BoundOperand> operands,
                                                     std::vector<Shape> output_shapes, DType dtype,
                                                     std::int64_t batch) {
  return std::make_unique<MonotoneKernel>(node, std::move(operands), std::move(output_shapes), dtype, batch);
}

std::unique_ptr<CompiledKernel> make_rule_kernel(const Node& node, std::vector<BoundOperand> operands,
                                                 std::vector<Shape> output_shapes, DType dtype, std::int64_t batch) {
  return std::make_unique<RuleKernel>(node, std::move(operands), std::move(output_shapes), dtype, batch);
}

std::unique_ptr<CompiledKernel> make_alias_kernel(const Node& node) { return std::make_unique<AliasKernel>(node.op); }

}  // namespace bf
