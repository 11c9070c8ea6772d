// CompiledKernel adapters around the fast f32 interval kernels of
// src/kernels/interval: affine (GEMV/GEMM) and convolution, with an optional
// fused activation, and a standalone activation over both planes.
#pragma once

#include <memory>
#include <optional>

#include "kernels/interval/epilogue.h"
#include "runtime/compiled/affine_form.h"
#include "runtime/compiled/compiled_kernel.h"

namespace bf {

std::unique_ptr<CompiledKernel> make_affine_kernel(const AffineForm& form, std::int64_t batch, Epilogue epilogue);
// nhwc_in / nhwc_out: the input / output bound planes are NHWC per image (see channels_last).
std::unique_ptr<CompiledKernel> make_conv_kernel(const Graph& graph, const Node& node, std::int64_t batch,
                                                 Epilogue epilogue, bool nhwc_in = false, bool nhwc_out = false);
// An activation alone: both planes through the epilogue (f32).
std::unique_ptr<CompiledKernel> make_activation_kernel(Epilogue epilogue, std::int64_t plane_elements);

}  // namespace bf
