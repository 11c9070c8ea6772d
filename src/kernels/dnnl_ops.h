// Internal to bf_kernels: the f32 primitives run through oneDNN, described with
// plain pointers and extents so only dnnl_ops.cpp includes the heavy oneDNN headers.
// The reference creates its primitives on every call (engine cpu, one stream per thread).
#pragma once

#include <array>
#include <cstdint>

#include "tensor/shape.h"

namespace bf::kernels {

// c[b] = a[b or 0] x w[b or 0] (+ bias) for b in [0, batch): a batched matrix
// product with element strides {batch, row, column} for a and w (a batch stride
// of 0 shares one matrix across the batch). c is contiguous [batch, m, n].
struct DnnlMatmul {
  std::int64_t batch = 1, m = 0, k = 0, n = 0;
  const float* a = nullptr;
  std::array<std::int64_t, 3> a_strides{};
  const float* w = nullptr;
  std::array<std::int64_t, 3> w_strides{};
  const float* bias = nullptr;  // [n] or null
  float* c = nullptr;
};
void dnnl_matmul_f32(const DnnlMatmul& p);

// Forward convolution (or deconvolution = ConvTranspose) of a contiguous NC...
// tensor with ONNX weight layout: Conv W[cout, cin/group, k...], ConvTranspose
// W[cin, cout/group, k...]. 1 to 3 spatial dimensions. For a deconvolution,
// pad_end may be negative (it is ONNX's end pad minus output_padding).
struct DnnlConv {
  bool transposed = false;
  std::int64_t n = 0, cin = 0, cout = 0, group = 1;
  Shape in_spatial, out_spatial, kernel, strides, dilations, pad_begin, pad_end;
  const float* x = nullptr;
  const float* w = nullptr;
  const float* bias = nullptr;  // [cout] or null
  float* y = nullptr;
};
void dnnl_conv_f32(const DnnlConv& p);
// oneDNN supports 1 to 3 spatial dimensions.
inline bool dnnl_conv_supported(std::size_t spatial_rank) { return spatial_rank >= 1 && spatial_rank <= 3; }

}  // namespace bf::kernels
