#include "kernels/interval/interval_affine.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "kernels/interval/dnnl_support.h"
#include "kernels/interval/scratch_layout.h"
#include "kernels/rowwise_gemm.h"

namespace bf {

using interval_detail::checked_scratch;
using interval_detail::cpu_engine;
using interval_detail::cpu_stream;
using interval_detail::ScratchLayout;
using interval_detail::with_dnnl_errors;

namespace {

// Below this many multiply-adds (M x N x K, counting W.c only) one thread does the
// gemv: an OpenMP fork/join costs a microsecond or two on an idle machine, about
// what 16k MACs take. Above it, splitting also halves the weights each core's L2
// must hold, which is what makes a chain of 256 x 256 layers fit in cache
// (mlp_256x6 at batch 1 on two threads: 85 us -> 37 us).
constexpr std::int64_t kParallelGemvMacs = std::int64_t{1} << 14;

// Bytes of one of the gemv's two scratch planes (centre, radius): M rows of Kp floats.
std::int64_t gemv_plane_bytes(std::int64_t m, std::int64_t kp) {
  return interval_detail::align_up(m * kp * static_cast<std::int64_t>(sizeof(float)));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// MR rows of (c, r) against NR rows of W, all rows kp floats long (kp a multiple of 8,
// 32-byte aligned, zero tails). W is read once for all MR rows; |W| is W with its
// sign bit cleared. 2 x MR x NR independent accumulators keep both FMA ports busy.
// Writes the pre-activation bounds c' - r' and c' + r' for rows m < MR, columns j < NR.
template <int MR, int NR>
void gemv_block(const float* w, const float* c, const float* r, std::int64_t kp, const float* bias, float* lo,
                float* hi, std::int64_t n) {
  __m256 acc_c[MR][NR], acc_r[MR][NR];
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc_c[m][j] = acc_r[m][j] = _mm256_setzero_ps();
  }
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (std::int64_t k = 0; k < kp; k += 8) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
      const __m256 wv = _mm256_load_ps(w + j * kp + k);
      const __m256 wa = _mm256_andnot_ps(sign, wv);
#pragma GCC unroll 4
      for (int m = 0; m < MR; ++m) {
        acc_c[m][j] = _mm256_fmadd_ps(wv, _mm256_load_ps(c + m * kp + k), acc_c[m][j]);
        acc_r[m][j] = _mm256_fmadd_ps(wa, _mm256_load_ps(r + m * kp + k), acc_r[m][j]);
      }
    }
  }
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
      const float cc = hsum(acc_c[m][j]) + bias[j];
      const float rr = hsum(acc_r[m][j]);
      lo[m * n + j] = cc - rr;
      hi[m * n + j] = cc + rr;
    }
  }
}

// Output columns handled together for MR rows: enough accumulator chains to cover
// the FMA latency (>= 8) within the 16 ymm registers.
template <int MR>
constexpr int kColumnsPerBlock = MR == 1   ? 4
                                 : MR == 2 ? 2
                                           : 1;

// Columns [j0, j1) of rows [m0, m0 + MR).
template <int MR>
void gemv_columns(const float* w, const float* c, const float* r, std::int64_t kp, const float* bias, float* lo,
                  float* hi, std::int64_t n, std::int64_t j0, std::int64_t j1) {
  constexpr int NR = kColumnsPerBlock<MR>;
  std::int64_t j = j0;
  for (; j + NR <= j1; j += NR) gemv_block<MR, NR>(w + j * kp, c, r, kp, bias + j, lo + j, hi + j, n);
  for (; j < j1; ++j) gemv_block<MR, 1>(w + j * kp, c, r, kp, bias + j, lo + j, hi + j, n);
}

void gemv_rows(int mr, const float* w, const float* c, const float* r, std::int64_t kp, const float* bias, float* lo,
               float* hi, std::int64_t n, std::int64_t j0, std::int64_t j1) {
  switch (mr) {
    case 1:
      return gemv_columns<1>(w, c, r, kp, bias, lo, hi, n, j0, j1);
    case 2:
      return gemv_columns<2>(w, c, r, kp, bias, lo, hi, n, j0, j1);
    case 3:
      return gemv_columns<3>(w, c, r, kp, bias, lo, hi, n, j0, j1);
    default:
      return gemv_columns<4>(w, c, r, kp, bias, lo, hi, n, j0, j1);
  }
}

}  // namespace

// oneDNN matmul over [c; r] with [W^T; |W|^T], prepared at construction.
struct IntervalAffineF32::Matmul {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  dnnl::memory::desc src_md, dst_md;
  dnnl::memory weights;  // packed in the primitive's format
  std::int64_t prepared_bytes = 0;
  ScratchLayout layout;
  int cr = 0, dst = 0, pad = 0;  // regions of the scratch
};

IntervalAffineF32::IntervalAffineF32(const Tensor& weight, const Tensor* bias, std::int64_t rows, Epilogue epilogue,
                                     Variant variant)
    : m_(rows), epilogue_(epilogue) {
  BF_CHECK(weight.dtype() == DType::F32 && weight.rank() == 2, ErrorKind::Unsupported,
           "interval Affine kernel needs an f32 [N, K] weight, got {} {}", dtype_name(weight.dtype()),
           shape_str(weight.shape()));
  n_ = weight.shape()[0];
  k_ = weight.shape()[1];
  BF_CHECK(rows >= 0, ErrorKind::Invalid, "interval Affine kernel: negative row count {}", rows);
  if (bias && bias->defined()) {
    BF_CHECK(bias->dtype() == DType::F32 && bias->shape() == Shape{n_}, ErrorKind::Unsupported,
             "interval Affine kernel needs an f32 bias [{}], got {} {}", n_, dtype_name(bias->dtype()),
             shape_str(bias->shape()));
  } else {
    bias = nullptr;
  }
  // oneDNN rejects empty dimensions; the loops handle them.
  const bool degenerate = m_ == 0 || n_ == 0 || k_ == 0;
  variant_ = degenerate ? Variant::Gemv : variant == Variant::Auto ? Variant::Rowwise : variant;

  if (variant_ == Variant::Rowwise) {
    // W^T and |W|^T, [K, N] each, packed one after the other.
    const std::int64_t packed = packed_b_floats(k_, n_);
    weight_ = Tensor(DType::F32, {2 * packed});
    std::vector<float> wt(static_cast<std::size_t>(k_ * n_));
    const float* src = weight.data<float>();
    for (int abs_pass = 0; abs_pass < 2; ++abs_pass) {
      for (std::int64_t j = 0; j < n_; ++j) {
        for (std::int64_t i = 0; i < k_; ++i) {
          const float w = src[j * k_ + i];
          wt[static_cast<std::size_t>(i * n_ + j)] = abs_pass != 0 ? std::fabs(w) : w;
        }
      }
      pack_b(wt.data(), n_, k_, n_, nullptr, weight_.mutable_data<float>() + abs_pass * packed);
    }
    bias_ = bias ? bias->clone() : Tensor(DType::F32, {n_});
    return;
  }
  if (variant_ == Variant::Gemv) {
    kp_ = (k_ + 7) / 8 * 8;
    weight_ = Tensor(DType::F32, {n_, kp_});  // zero filled: the padding stays 0
    float* wp = weight_.mutable_data<float>();
    const float* src = weight.data<float>();
    for (std::int64_t j = 0; j < n_ && k_ > 0; ++j) std::memcpy(wp + j * kp_, src + j * k_, sizeof(float) * k_);
    bias_ = bias ? bias->clone() : Tensor(DType::F32, {n_});
    return;
  }

  auto mm = std::make_unique<Matmul>();
  with_dnnl_errors("interval matrix product", [&] {
    using dnnl::memory;
    using tag = memory::format_tag;
    const memory::data_type f32 = memory::data_type::f32;
    mm->src_md = memory::desc({2, m_, k_}, f32, tag::abc);
    mm->dst_md = memory::desc({2, m_, n_}, f32, tag::abc);
    const memory::desc w_any({2, k_, n_}, f32, tag::any);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    // No bias operand: oneDNN 2.6 has no fast matmul with a per-batch bias [2, 1, N]
    // (it falls back to its reference implementation), so the fused pass adds b.
    mm->pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(mm->src_md, w_any, mm->dst_md), attr, cpu_engine());
    mm->prim = dnnl::matmul(mm->pd);

    // [W; |W|] as stored, [2][N][K], read by oneDNN as the [2, K, N] matrix [W^T; |W|^T].
    std::vector<float> stacked(static_cast<std::size_t>(2 * n_ * k_));
    const float* src = weight.data<float>();
    const std::int64_t nk = n_ * k_;
    for (std::int64_t i = 0; i < nk; ++i) {
      stacked[static_cast<std::size_t>(i)] = src[i];
      stacked[static_cast<std::size_t>(nk + i)] = std::fabs(src[i]);
    }
    memory user_w(memory::desc({2, k_, n_}, f32, {nk, 1, k_}), cpu_engine(), stacked.data());
    mm->weights = memory(mm->pd.weights_desc(), cpu_engine());
    dnnl::reorder(user_w, mm->weights).execute(cpu_stream(), user_w, mm->weights);
    mm->prepared_bytes = static_cast<std::int64_t>(mm->pd.weights_desc().get_size());
    cpu_stream().wait();
  });
  if (bias) {
    bias_ = bias->clone();
    mm->prepared_bytes += static_cast<std::int64_t>(bias_.nbytes());
  }
  mm->cr = mm->layout.add(2 * m_ * k_ * static_cast<std::int64_t>(sizeof(float)));
  mm->dst = mm->layout.add(2 * m_ * n_ * static_cast<std::int64_t>(sizeof(float)));
  mm->pad = mm->layout.add(static_cast<std::int64_t>(mm->pd.scratchpad_desc().get_size()));
  matmul_ = std::move(mm);
}

IntervalAffineF32::~IntervalAffineF32() = default;
IntervalAffineF32::IntervalAffineF32(IntervalAffineF32&&) noexcept = default;
IntervalAffineF32& IntervalAffineF32::operator=(IntervalAffineF32&&) noexcept = default;

std::int64_t IntervalAffineF32::scratch_bytes() const {
  if (variant_ == Variant::Rowwise) return 2 * gemv_plane_bytes(m_, k_);
  if (variant_ == Variant::Gemv) return 2 * gemv_plane_bytes(m_, kp_);
  return matmul_->layout.total();
}

std::int64_t IntervalAffineF32::prepared_bytes() const {
  if (variant_ != Variant::Matmul) return static_cast<std::int64_t>(weight_.nbytes() + bias_.nbytes());
  return matmul_->prepared_bytes;
}

std::string IntervalAffineF32::variant() const {
  if (variant_ == Variant::Rowwise) return "rowwise";
  if (variant_ == Variant::Gemv) return "gemv_avx2";
  return "onednn_matmul(" + interval_detail::impl_name(matmul_->pd) + ")";
}

void IntervalAffineF32::run(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                            void* scratch) const {
  char* s = checked_scratch(scratch, scratch_bytes(), "interval Affine kernel");
  if (variant_ == Variant::Rowwise) {
    run_rowwise(in_lower, in_upper, out_lower, out_upper, s);
  } else if (variant_ == Variant::Gemv) {
    run_gemv(in_lower, in_upper, out_lower, out_upper, s);
  } else {
    run_matmul(in_lower, in_upper, out_lower, out_upper, s);
  }
}

void IntervalAffineF32::run_rowwise(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                                    char* scratch) const {
  float* centre = reinterpret_cast<float*>(scratch);
  float* radius = reinterpret_cast<float*>(scratch + gemv_plane_bytes(m_, k_));
  bounds_to_centre_radius(in_lower, in_upper, centre, radius, m_ * k_);
  // c W^T into the lower plane, r |W|^T into the upper one, then both bounds in place.
  const float* packed = weight_.data<float>();
  rowwise_gemm(m_, k_, n_, centre, k_, packed, out_lower, n_, false);
  rowwise_gemm(m_, k_, n_, radius, k_, packed + packed_b_floats(k_, n_), out_upper, n_, false);
  centre_radius_bias_to_bounds(epilogue_, out_lower, out_upper, bias_.data<float>(), out_lower, out_upper, m_, n_);
}

void IntervalAffineF32::run_gemv(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                                 char* scratch) const {
  float* centre = reinterpret_cast<float*>(scratch);
  float* radius = reinterpret_cast<float*>(scratch + gemv_plane_bytes(m_, kp_));
  for (std::int64_t m = 0; m < m_; ++m) {
    float* c = centre + m * kp_;
    float* r = radius + m * kp_;
    bounds_to_centre_radius(in_lower + m * k_, in_upper + m * k_, c, r, k_);
    std::fill(c + k_, c + kp_, 0.0f);
    std::fill(r + k_, r + kp_, 0.0f);
  }
  const float* w = weight_.data<float>();
  const float* b = bias_.data<float>();
  // Column ranges per thread in blocks of 4 so every thread runs whole blocks.
  const std::int64_t blocks = (n_ + 3) / 4;
  const bool parallel = m_ * n_ * kp_ >= kParallelGemvMacs && blocks > 1 && omp_get_max_threads() > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    const std::int64_t j0 = blk * 4, j1 = std::min(n_, j0 + 4);
    for (std::int64_t m0 = 0; m0 < m_; m0 += 4) {
      const int mr = static_cast<int>(std::min<std::int64_t>(4, m_ - m0));
      gemv_rows(mr, w, centre + m0 * kp_, radius + m0 * kp_, kp_, b, out_lower + m0 * n_, out_upper + m0 * n_, n_, j0,
                j1);
    }
  }
  apply_epilogue(epilogue_, out_lower, m_ * n_);
  apply_epilogue(epilogue_, out_upper, m_ * n_);
}

void IntervalAffineF32::run_matmul(const float* in_lower, const float* in_upper, float* out_lower, float* out_upper,
                                   char* scratch) const {
  const Matmul& mm = *matmul_;
  float* cr = reinterpret_cast<float*>(scratch + mm.layout.offset(mm.cr));
  float* dst = reinterpret_cast<float*>(scratch + mm.layout.offset(mm.dst));
  void* pad = scratch + mm.layout.offset(mm.pad);
  bounds_to_centre_radius(in_lower, in_upper, cr, cr + m_ * k_, m_ * k_);
  with_dnnl_errors("interval matrix product", [&] {
    dnnl::memory src(mm.src_md, cpu_engine(), cr);
    dnnl::memory out(mm.dst_md, cpu_engine(), dst);
    dnnl::memory scratchpad(mm.pd.scratchpad_desc(), cpu_engine(), pad);
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, mm.weights}, {DNNL_ARG_DST, out}, {DNNL_ARG_SCRATCHPAD, scratchpad}};
    mm.prim.execute(cpu_stream(), args);
    cpu_stream().wait();
  });
  if (bias_.defined()) {
    centre_radius_bias_to_bounds(epilogue_, dst, dst + m_ * n_, bias_.data<float>(), out_lower, out_upper, m_, n_);
  } else {
    centre_radius_to_bounds(epilogue_, dst, dst + m_ * n_, out_lower, out_upper, m_ * n_);
  }
}

}  // namespace bf
