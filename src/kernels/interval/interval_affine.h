// Fast f32 interval bound propagation through y = x W^T + b over the last axis
// (the IR's Affine), with a monotone activation fused after it. Same rule as the
// reference (bound/interval_ops.cpp, centre-radius form):
//   c = (u + l) / 2, r = (u - l) / 2;  c' = c W^T + b, r' = r |W|^T;
//   lower' = act(c' - r'), upper' = act(c' + r').
// Prepared once (weights copied into the kernel's layout, oneDNN primitive created,
// weights reordered into its preferred format); run() then works only in the
// caller's memory.
//
// Two variants, chosen at construction (uses_gemv) from M and the weight size:
//   "gemv_avx2" (M <= 2, or M <= 4 when oneDNN's packed [W; |W|] would not fit in
//       L2): one pass over W per group of up to four rows, |W| formed on the fly with
//       a sign mask (so only W streams from cache), W.c and |W|.r in independent
//       AVX2/FMA accumulators; OpenMP over output columns when the product is large.
//   "onednn_matmul" (larger M): one oneDNN batched matmul [c; r] (2 x M x K) times
//       [W^T; |W|^T] (2 x K x N), weights packed at construction, user scratchpad,
//       then one fused pass adding b to c' and applying the epilogue. (A bias operand
//       [b; 0] would make oneDNN 2.6 fall back to its slow reference matmul.)
//
// Scratch layout (offsets rounded up to 64 bytes; scratch_bytes() is the total):
//   gemv:   centre [M][Kp] | radius [M][Kp]        (Kp = K rounded up to 8, zero tail)
//   matmul: [c; r] [2][M][K] | [c'; r'] [2][M][N] | oneDNN scratchpad
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
  enum class Variant { Auto, Gemv, Matmul };

  // Auto's choice, measured on the MNIST/CIFAR layer shapes (bench/interval_kernels_bench.cpp,
  // Xeon with 1.25 MiB L2 per core): the gemv up to 2 rows; at 3 and 4 rows only when
  // each thread's share of oneDNN's packed [W; |W|] (8 N K bytes / threads) exceeds
  // 1 MiB and would stream from L3 on every run (the gemv reads only W); never beyond
  // 4 rows, where oneDNN's AVX-512 matmul wins. Threads: omp_get_max_threads() now.
  static constexpr std::int64_t kMaxGemvRows = 4;
  static bool uses_gemv(std::int64_t rows, std::int64_t in_features, std::int64_t out_features);

  // weight [N, K] f32; bias [N] f32 or null; rows = M = batch x leading dims of x.
  // `variant` forces one implementation (tests, benchmarks); Auto picks by M.
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
  // "gemv_avx2" or "onednn_matmul(<oneDNN implementation>)".
  std::string variant() const;

  // in planes: M x K each; out planes: M x N each.
  void run(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper, void* scratch) const;

 private:
  struct Matmul;  // oneDNN state, defined in the .cpp so only it includes oneDNN

  void run_gemv(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper, char* scratch) const;
  void run_matmul(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                  char* scratch) const;

  std::int64_t m_ = 0, k_ = 0, n_ = 0, kp_ = 0;
  Epilogue epilogue_;
  bool use_gemv_ = true;
  Tensor weight_;  // gemv: [N][Kp] f32, zero padded
  Tensor bias_;    // gemv: [N] f32 (zeros without a bias); matmul: [N] or undefined
  std::unique_ptr<Matmul> matmul_;
};

}  // namespace bf
