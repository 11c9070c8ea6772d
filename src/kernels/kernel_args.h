// Internal to bf_kernels: the arguments every op family receives, and helpers
// for reading operands under the batch convention of op_eval.h.
#pragma once

#include <cstdint>
#include <span>

#include "ir/graph.h"
#include "kernels/op_eval.h"
#include "support/error.h"

namespace bf::kernels {

struct KernelArgs {
  const Node& node;
  std::span<const ConstOperand> in;
  std::span<const MutOperand> out;
  std::int64_t batch;

  bool has(std::size_t i) const { return i < in.size() && in[i].data != nullptr; }
  const Shape& in_shape(std::size_t i) const { return *in[i].shape; }
  const Shape& out_shape(std::size_t i = 0) const { return *out[i].shape; }
  DType dtype(std::size_t i = 0) const { return in[i].dtype; }

  template <typename T>
  const T* in_data(std::size_t i) const {
    BF_ASSERT(in[i].dtype == dtype_of<T>());
    return static_cast<const T*>(in[i].data);
  }
  template <typename T>
  T* out_data(std::size_t i = 0) const {
    BF_ASSERT(out[i].dtype == dtype_of<T>());
    return static_cast<T*>(out[i].data);
  }
  // Elements between consecutive samples of input i: 0 for an operand shared by all samples.
  std::int64_t sample_stride(std::size_t i) const { return in[i].batched ? numel(*in[i].shape) : 0; }
  // True when input 0 is the only batched operand (or the batch is 1, where the
  // flag does not change the layout): the form weight-carrying kernels handle natively.
  bool leading_activation_only() const;
};

inline bool KernelArgs::leading_activation_only() const {
  if (batch == 1) return true;
  if (!in[0].batched) return false;
  for (std::size_t i = 1; i < in.size(); ++i) {
    if (has(i) && in[i].batched) return false;
  }
  return true;
}

// Throws Unsupported naming the op and the dtype it cannot evaluate.
[[noreturn]] void unsupported_dtype(const KernelArgs& a, DType t);

// Calls fn(float{}) or fn(double{}) for the float dtype of input 0.
template <typename Fn>
void visit_float(const KernelArgs& a, Fn&& fn) {
  switch (a.dtype(0)) {
    case DType::F32:
      fn(float{});
      return;
    case DType::F64:
      fn(double{});
      return;
    default:
      unsupported_dtype(a, a.dtype(0));
  }
}

// Op families; each handles the ops named beside it.
void eval_data_movement(
    const KernelArgs& a);  // Flatten Reshape Squeeze Unsqueeze Identity Dropout Transpose Concat Slice Gather Pad
void eval_binary(const KernelArgs& a);               // Add Sub Mul Div
void eval_unary(const KernelArgs& a);                // Neg Relu LeakyRelu Sigmoid Tanh Clip
void eval_scale_shift(const KernelArgs& a);          // ScaleShift
void eval_batch_norm(const KernelArgs& a);           // BatchNormalization
void eval_gemm(const KernelArgs& a);                 // Gemm
void eval_matmul(const KernelArgs& a);               // MatMul
void eval_affine(const KernelArgs& a);               // Affine
void eval_conv(const KernelArgs& a);                 // Conv
void eval_conv_transpose(const KernelArgs& a);       // ConvTranspose
void eval_max_pool(const KernelArgs& a);             // MaxPool
void eval_average_pool(const KernelArgs& a);         // AveragePool
void eval_global_average_pool(const KernelArgs& a);  // GlobalAveragePool
void eval_softmax(const KernelArgs& a);              // Softmax
void eval_reduce(const KernelArgs& a);               // ReduceMean ReduceSum

}  // namespace bf::kernels
