// Fast f32 interval bound propagation through y = x W^T + b over the last axis
// (the IR's Affine), with a monotone activation fused after it. Same rule as the
// reference (bound/interval_ops.cpp, centre-radius form):
//   c = (u + l) / 2, r = (u - l) / 2;  c' = c W^T + b, r' = r |W|^T;
//   lower' = act(c' - r'), upper' = act(c' + r').
// Prepared once (weights copied into the kernel's layout, oneDNN primitive created,
// weights reordered into its preferred format); run() then works only in the
// caller's memory.
//
// Auto runs "rowwise": c' and r' through kernels/rowwise_gemm.h against W^T and
// |W|^T packed at construction, then one fused pass adding b and applying the
// epilogue. Every row's bounds come out bit for bit the same whatever M is, so
// splitting a batch to fit a memory budget changes no bit of any bound.
//
// Two more variants, kept to compare against (bench/interval_kernels_bench.cpp);
// their bits depend on M (the gemv and oneDNN's blocking pick other sums):
//   "gemv_avx2": one pass over W per group of up to four rows, |W| formed on the
//       fly with a sign mask, W.c and |W|.r in independent AVX2/FMA accumulators.
//   "onednn_matmul": one oneDNN batched matmul [c; r] (2 x M x K) times
//       [W^T; |W|^T] (2 x K x N), weights packed at construction.
//
// Scratch layout (offsets rounded up to 64 bytes; scratch_bytes() is the total):
//   rowwise: centre [M][K] | radius [M][K]
//   gemv:    centre [M][Kp] | radius [M][Kp]        (Kp = K rounded up to 8, zero tail)
//   matmul:  [c; r] [2][M][K] | [c'; r'] [2][M][N] | oneDNN scratchpad
//
// run() reads the input planes only while forming c and r, so the output planes
// may overlap the input planes. It allocates nothing of its own and may run on
// several threads at once (oneDNN makes small bookkeeping allocations inside execute).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kernels/interval/epilogue.h"
#include "tensor/tensor.h"

namespace bf {

class IntervalAffineF32 {
 public:
  enum class Variant { Auto, Rowwise, Gemv, Matmul };

  // weight [N, K] f32; bias [N] f32 or null; rows = M = batch x leading dims of x.
  // `variant` forces one implementation (tests, benchmarks); Auto is Rowwise.
  IntervalAffineF32(const Tensor& weight, const Tensor* bias, std::int64_t rows, Epilogue epilogue,
                    Variant variant = Variant::Auto);
  ~IntervalAffineF32();
  IntervalAffineF32(IntervalAffineF32&&) noexcept;
  IntervalAffineF32& operator=(IntervalAffineF32&&) noexcept;

  std::int64_t rows() const { return m_; }
  std::int64_t in_features() const { return k_; }
  std::int64_t out_features() const { return n_; }

  // Bytes of 64-byte aligned scratch run() needs.
  std::int64_t scratch_bytes() const;
  // Bytes of prepared weights (and bias) this object holds.
  std::int64_t prepared_bytes() const;
  // "rowwise", "gemv_avx2" or "onednn_matmul(<oneDNN implementation>)".
  std::string variant() const;

  // in planes: M x K each; out planes: M x N each.
  void run(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper, void* scratch) const;

 private:
  struct Matmul;  // oneDNN state, defined in the .cpp so only it includes oneDNN

  void run_rowwise(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                   char* scratch) const;
  void run_gemv(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper, char* scratch) const;
  void run_matmul(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                  char* scratch) const;

  std::int64_t m_ = 0, k_ = 0, n_ = 0, kp_ = 0;
  Epilogue epilogue_;
  Variant variant_ = Variant::Rowwise;
  Tensor weight_;  // gemv: [N][Kp] f32, zero padded; rowwise: W^T then |W|^T packed
  Tensor bias_;    // gemv, rowwise: [N] f32 (zeros without a bias); matmul: [N] or undefined
  std::unique_ptr<Matmul> matmul_;
};

}  // namespace bf
