// Dispatch of eval_op to the op families, operand checking, the per-sample
// fallback for kernels that take one batched activation plus shared weights,
// and eval_node for folding.
#include "kernels/op_eval.h"

#include <string>

#include "ir/shape_inference.h"
#include "kernels/kernel_args.h"

namespace bf {
namespace kernels {

void unsupported_dtype(const KernelArgs& a, DType t) {
  fail(ErrorKind::Unsupported, "{} is not supported on {} tensors", op_name(a.node.op), dtype_name(t));
}

}  // namespace kernels

namespace {

using kernels::KernelArgs;

// Ops whose kernels accept any mix of batched and shared operands.
bool handles_any_batching(OpKind op) {
  switch (op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::ScaleShift:
      return true;
    default:
      return is_unary_elementwise(op) || is_data_movement(op);
  }
}

void run_family(const KernelArgs& a) {
  using namespace kernels;
  switch (a.node.op) {
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Identity:
    case OpKind::Dropout:
    case OpKind::Transpose:
    case OpKind::Concat:
    case OpKind::Slice:
    case OpKind::Gather:
    case OpKind::Pad:
      return eval_data_movement(a);
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
      return eval_binary(a);
    case OpKind::Neg:
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
      return eval_unary(a);
    case OpKind::ScaleShift:
      return eval_scale_shift(a);
    case OpKind::BatchNormalization:
      return eval_batch_norm(a);
    case OpKind::Gemm:
      return eval_gemm(a);
    case OpKind::MatMul:
      return eval_matmul(a);
    case OpKind::Affine:
      return eval_affine(a);
    case OpKind::Conv:
      return eval_conv(a);
    case OpKind::ConvTranspose:
      return eval_conv_transpose(a);
    case OpKind::MaxPool:
      return eval_max_pool(a);
    case OpKind::AveragePool:
      return eval_average_pool(a);
    case OpKind::GlobalAveragePool:
      return eval_global_average_pool(a);
    case OpKind::Softmax:
      return eval_softmax(a);
    case OpKind::ReduceMean:
    case OpKind::ReduceSum:
      return eval_reduce(a);
  }
  fail(ErrorKind::Internal, "eval_op: unhandled op {}", op_name(a.node.op));
}

// The operands must carry exactly the types shape inference derives for the
// node: the kernels index memory by those shapes and would otherwise read or
// write out of bounds.
void check_operands(const Node& node, std::span<const ConstOperand> inputs, std::span<const MutOperand> outputs,
                    std::int64_t batch) {
  BF_CHECK(batch >= 0, ErrorKind::Invalid, "negative batch {}", batch);
  std::vector<TensorType> in_types(inputs.size());
  std::vector<const TensorType*> in_ptrs(inputs.size(), nullptr);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].data == nullptr) continue;
    BF_CHECK(inputs[i].shape != nullptr, ErrorKind::Invalid, "input {} has data but no shape", i);
    in_types[i] = {inputs[i].dtype, *inputs[i].shape};
    in_ptrs[i] = &in_types[i];
  }
  std::vector<TensorType> expected = infer_output_types(node.op, node.attrs, in_ptrs);
  BF_CHECK(outputs.size() == expected.size(), ErrorKind::Invalid, "{} outputs given, the op has {}", outputs.size(),
           expected.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    BF_CHECK(outputs[i].shape != nullptr && outputs[i].data != nullptr, ErrorKind::Invalid,
             "output {} has no buffer or shape", i);
    TensorType got{outputs[i].dtype, *outputs[i].shape};
    BF_CHECK(got == expected[i], ErrorKind::Shape, "output {} is given as {} but the op yields {}", i, got.str(),
             expected[i].str());
  }
}

bool any_output_elements(std::span<const MutOperand> outputs, std::int64_t batch) {
  if (batch == 0) return false;
  for (const auto& o : outputs) {
    if (numel(*o.shape) != 0) return true;
  }
  return false;
}

// Evaluates sample by sample with batch 1, where the layout no longer depends on
// which operands are batched.
void run_per_sample(const Node& node, std::span<const ConstOperand> inputs, std::span<const MutOperand> outputs,
                    std::int64_t batch) {
  std::vector<ConstOperand> ins(inputs.begin(), inputs.end());
  std::vector<MutOperand> outs(outputs.begin(), outputs.end());
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::size_t i = 0; i < ins.size(); ++i) {
      if (inputs[i].data == nullptr || !inputs[i].batched) continue;
      const auto step = static_cast<std::size_t>(numel(*inputs[i].shape)) * dtype_size(inputs[i].dtype);
      ins[i].data = static_cast<const std::byte*>(inputs[i].data) + static_cast<std::size_t>(b) * step;
    }
    for (std::size_t i = 0; i < outs.size(); ++i) {
      const auto step = static_cast<std::size_t>(numel(*outputs[i].shape)) * dtype_size(outputs[i].dtype);
      outs[i].data = static_cast<std::byte*>(outputs[i].data) + static_cast<std::size_t>(b) * step;
    }
    run_family(KernelArgs{node, ins, outs, 1});
  }
}

}  // namespace

void eval_op(const Node& node, std::span<const ConstOperand> inputs, std::span<const MutOperand> outputs,
             std::int64_t batch) {
  try {
    check_operands(node, inputs, outputs, batch);
    if (!any_output_elements(outputs, batch)) return;
    KernelArgs args{node, inputs, outputs, batch};
    if (handles_any_batching(node.op) || args.leading_activation_only()) {
      run_family(args);
    } else {
      run_per_sample(node, inputs, outputs, batch);
    }
  } catch (Error& e) {
    e.with_node(node.name, std::string(op_name(node.op)));
    throw;
  }
}

std::vector<Tensor> eval_node(const Node& node, const std::vector<Tensor>& inputs) {
  std::vector<ConstOperand> ins(inputs.size());
  std::vector<const TensorType*> in_ptrs(inputs.size(), nullptr);
  std::vector<TensorType> in_types(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    ins[i] = {inputs[i].raw_data(), inputs[i].dtype(), &inputs[i].shape(), false};
    in_types[i] = {inputs[i].dtype(), inputs[i].shape()};
    in_ptrs[i] = &in_types[i];
  }
  std::vector<TensorType> out_types;
  try {
    out_types = infer_output_types(node.op, node.attrs, in_ptrs);
  } catch (Error& e) {
    e.with_node(node.name, std::string(op_name(node.op)));
    throw;
  }
  std::vector<Tensor> results;
  std::vector<MutOperand> outs;
  results.reserve(out_types.size());
  for (const auto& t : out_types) results.emplace_back(t.dtype, t.shape);
  for (auto& r : results) outs.push_back({r.raw_mutable_data(), r.dtype(), &r.shape()});
  eval_op(node, ins, outs, 1);
  return results;
}

}  // namespace bf
