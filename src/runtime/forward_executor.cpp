#include "runtime/forward_executor.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>

#include "kernels/op_eval.h"

namespace bf {
namespace {

// One value during a run: its data and whether it holds `batch` samples
// (activations) or a single tensor shared by all samples (constants and what
// is computed from constants only).
struct Slot {
  Tensor data;
  bool batched = false;
  bool counted = false;  // owned by the run and counted in the live bytes
};

class ForwardRun {
 public:
  ForwardRun(const Graph& graph, const ForwardOptions& options)
      : graph_(graph), options_(options), slots_(static_cast<std::size_t>(graph.num_values())) {}

  std::vector<Tensor> run(const std::vector<Tensor>& inputs) {
    bind_inputs(inputs);
    const auto last_use = last_uses();
    const auto& nodes = graph_.nodes();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      evaluate(nodes[i]);
      for (ValueId v : nodes[i].inputs) {
        if (v != kNoValue && last_use[static_cast<std::size_t>(v)] == static_cast<std::int64_t>(i)) release(v);
      }
      for (ValueId v : nodes[i].outputs) {
        if (last_use[static_cast<std::size_t>(v)] < 0) release(v);  // dead result
      }
    }
    std::vector<Tensor> outputs;
    for (ValueId v : graph_.outputs()) outputs.push_back(output_tensor(v));
    if (options_.stats) options_.stats->peak_activation_bytes = peak_bytes_;
    return outputs;
  }

 private:
  // The dtype a value has in this run.
  DType run_dtype(ValueId v) const {
    const DType t = graph_.type(v).dtype;
    return is_floating(t) ? options_.compute : t;
  }

  Slot& slot(ValueId v) { return slots_[static_cast<std::size_t>(v)]; }

  void hold(ValueId v, Tensor data, bool batched) {
    live_bytes_ += data.nbytes();
    peak_bytes_ = std::max(peak_bytes_, live_bytes_);
    slot(v) = {std::move(data), batched, true};
  }

  void release(ValueId v) {
    Slot& s = slot(v);
    if (s.counted) live_bytes_ -= s.data.nbytes();
    s = Slot();
  }

  void bind_inputs(const std::vector<Tensor>& inputs) {
    const auto& ids = graph_.inputs();
    BF_CHECK(inputs.size() == ids.size(), ErrorKind::Invalid, "run_forward: the graph has {} inputs, {} given",
             ids.size(), inputs.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const ValueId v = ids[i];
      const TensorType& type = graph_.type(v);
      const Tensor& t = inputs[i];
      const std::string& name = graph_.value(v).name;
      BF_CHECK(t.defined(), ErrorKind::Invalid, "run_forward: input '{}' is not given", name);
      BF_CHECK(t.numel() == options_.batch * type.numel(), ErrorKind::Shape,
               "run_forward: input '{}' holds {} elements, expected {} = batch {} x {}", name, t.numel(),
               options_.batch * type.numel(), options_.batch, type.str());
      if (is_floating(type.dtype)) {
        BF_CHECK(is_floating(t.dtype()), ErrorKind::Invalid, "run_forward: input '{}' is {}, expected a float tensor",
                 name, dtype_name(t.dtype()));
      } else {
        BF_CHECK(t.dtype() == type.dtype, ErrorKind::Invalid, "run_forward: input '{}' is {}, expected {}", name,
                 dtype_name(t.dtype()), dtype_name(type.dtype));
      }
      hold(v, t.dtype() == run_dtype(v) ? t : t.cast(run_dtype(v)), true);
    }
  }

  // Index of the last node reading each value; -1 when none (graph outputs are
  // read after every node and never freed).
  std::vector<std::int64_t> last_uses() const {
    std::vector<std::int64_t> last(static_cast<std::size_t>(graph_.num_values()), -1);
    const auto& nodes = graph_.nodes();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (ValueId v : nodes[i].inputs) {
        if (v != kNoValue) last[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(i);
      }
    }
    for (ValueId v : graph_.outputs()) last[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(nodes.size());
    return last;
  }

  // A constant in the run's dtype: the graph's own tensor, or a converted copy.
  const Slot& operand(ValueId v) {
    Slot& s = slot(v);
    if (!s.data.defined() && graph_.is_constant(v)) {
      const Tensor& c = graph_.constant(v);
      if (c.dtype() == run_dtype(v)) {
        s = {c, false, false};  // shares the graph's storage; not an activation
      } else {
        hold(v, c.cast(run_dtype(v)), false);
      }
    }
    BF_CHECK(s.data.defined(), ErrorKind::Internal, "run_forward: value '{}' has no data when read",
             graph_.value(v).name);
    return s;
  }

  void evaluate(const Node& node) {
    std::vector<ConstOperand> ins(node.inputs.size());
    bool any_batched = false;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId v = node.inputs[i];
      if (v == kNoValue) continue;
      const Slot& s = operand(v);
      ins[i] = {s.data.raw_data(), s.data.dtype(), &graph_.type(v).shape, s.batched};
      any_batched = any_batched || s.batched;
    }
    // Nodes reading constants only are evaluated once and stay shared.
    const std::int64_t batch = any_batched ? options_.batch : 1;
    std::vector<Tensor> results;
    std::vector<MutOperand> outs;
    for (ValueId v : node.outputs) {
      const TensorType& t = graph_.type(v);
      Shape shape = t.shape;
      if (any_batched) shape.insert(shape.begin(), options_.batch);
      results.emplace_back(run_dtype(v), shape);
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      outs.push_back({results[i].raw_mutable_data(), results[i].dtype(), &graph_.type(node.outputs[i]).shape});
    }
    eval_op(node, ins, outs, batch);
    for (std::size_t i = 0; i < results.size(); ++i) hold(node.outputs[i], std::move(results[i]), any_batched);
  }

  // The result handed back: its own storage (never the caller's input or a graph
  // constant), shared values replicated into every sample.
  Tensor output_tensor(ValueId v) {
    const Slot& s = operand(v);
    const Shape& ir = graph_.type(v).shape;
    Shape shape = ir;
    if (options_.batch != 1) shape.insert(shape.begin(), options_.batch);
    const bool produced = !graph_.is_input(v) && !graph_.is_constant(v);
    if (s.batched) {
      const bool first_use = handed_out_.insert(v).second;
      return (produced && first_use ? s.data : s.data.clone()).reshaped(shape);
    }
    Tensor out(s.data.dtype(), shape);
    auto* dst = static_cast<std::byte*>(out.raw_mutable_data());
    for (std::int64_t b = 0; b < options_.batch; ++b) {
      if (s.data.nbytes())
        std::memcpy(dst + static_cast<std::size_t>(b) * s.data.nbytes(), s.data.raw_data(), s.data.nbytes());
    }
    return out;
  }

  const Graph& graph_;
  const ForwardOptions& options_;
  std::vector<Slot> slots_;
  std::set<ValueId> handed_out_;
  std::size_t live_bytes_ = 0;
  std::size_t peak_bytes_ = 0;
};

}  // namespace

std::vector<Tensor> run_forward(const Graph& graph, const std::vector<Tensor>& inputs, const ForwardOptions& options) {
  BF_CHECK(is_floating(options.compute), ErrorKind::Invalid, "run_forward computes in f32 or f64, not {}",
           dtype_name(options.compute));
  BF_CHECK(options.batch >= 1, ErrorKind::Invalid, "run_forward: batch must be >= 1, got {}", options.batch);
  validate(graph);
  return ForwardRun(graph, options).run(inputs);
}

}  // namespace bf
