#include "runtime/compiled/alpha_kernels.h"

#include <fmt/format.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "bound/linear/linear_geometry.h"
#include "kernels/op_eval.h"
#include "kernels/rowwise_gemm.h"
#include "runtime/compiled/linear_fast_util.h"
#include "runtime/compiled/prepared_store.h"
#include "support/error.h"
#include "support/row_parallel.h"

namespace bf {
namespace {

const BufferSpec& spec_of(const PlanBundle& plan, BufferId b) {
  return plan.storage.logical_buffers.at(static_cast<std::size_t>(b));
}

// Index of the op's read (write) of a layout, -1 if none.
std::int64_t find_layout(const PlanBundle& plan, const std::vector<BufferId>& buffers, BufferLayout layout) {
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    if (spec_of(plan, buffers[i]).layout == layout) return static_cast<std::int64_t>(i);
  }
  return -1;
}

std::int64_t find_interval_of(const PlanBundle& plan, const std::vector<BufferId>& buffers, ValueId v) {
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const BufferSpec& s = spec_of(plan, buffers[i]);
    if (s.layout == BufferLayout::Interval && s.value == v) return static_cast<std::int64_t>(i);
  }
  return -1;
}

std::vector<int> sides_of(const SweepChunk& c) {
  std::vector<int> s;
  if (c.lower) s.push_back(0);
  if (c.upper) s.push_back(1);
  return s;
}

const float* fptr(const void* p) { return static_cast<const float*>(p); }
template <typename IO>
const float* side(const IO& io, int s) {
  return static_cast<const float*>(s == 0 ? io.lower : io.upper);
}
template <typename IO>
float* side_mut(const IO& io, int s) {
  return static_cast<float*>(const_cast<void*>(s == 0 ? io.lower : io.upper));
}

// Relax planes [4][batch, n] handed over as their first two.
struct Planes {
  const float *ls, *li, *us, *ui;
};
template <typename IO>
Planes planes_of(const IO& io) {
  const auto* base = static_cast<const char*>(io.lower);
  const std::int64_t step = static_cast<const char*>(io.upper) - base;
  return {fptr(base), fptr(base + step), fptr(base + 2 * step), fptr(base + 3 * step)};
}

// Row r of a chunk, window by window line: inside(e0, k, len) for each run
// of entries [e0, e0 + len) holding value elements [k, k + len) (per sample),
// outside(e0, len) for entries outside the value. Dense rows: one run.
template <typename Inside, typename Outside>
void for_each_run(const LinearWindow& w, const SweepChunk& c, std::int64_t r, std::int64_t elements, Inside&& inside,
                  Outside&& outside) {
  if (!w.spatial || w.full()) {
    inside(0, 0, elements);
    return;
  }
  const RowOrigin o = row_origin(w, c.start, c.neurons[r]);
  for (std::int64_t ch = 0; ch < w.channels; ++ch) {
    for (std::int64_t i = 0; i < w.win_h; ++i) {
      const std::int64_t e0 = (ch * w.win_h + i) * w.win_w;
      const std::int64_t h = o.h + i;
      const bool row_in = h >= 0 && h < w.height;
      const std::int64_t j0 = row_in ? std::min<std::int64_t>(w.win_w, std::max<std::int64_t>(0, -o.w)) : 0;
      const std::int64_t j1 = row_in ? std::max<std::int64_t>(j0, std::min<std::int64_t>(w.win_w, w.width - o.w)) : 0;
      if (j1 == j0) {
        outside(e0, w.win_w);
        continue;
      }
      if (j0 > 0) outside(e0, j0);
      inside(e0 + j0, (ch * w.height + h) * w.width + o.w + j0, j1 - j0);
      if (j1 < w.win_w) outside(e0 + j1, w.win_w - j1);
    }
  }
}

float leak_of(const Node& node) {
  return node.op == OpKind::LeakyRelu ? static_cast<float>(node.attrs.get_float("alpha", 0.01)) : 0.0f;
}

// The lower line of a Relu-like element: each row's slope p where the input
// interval straddles 0 (finite), else CROWN's line.
struct ReluLines {
  float lower_slope, lower_icpt, upper_slope, upper_icpt;
  bool optimised;
};
inline ReluLines relu_lines(float l, float u, float p, const Planes& rp, std::int64_t j) {
  const bool opt = l < 0.0f && u > 0.0f && std::isfinite(l) && std::isfinite(u);
  return {opt ? p : rp.ls[j], opt ? 0.0f : rp.li[j], rp.us[j], rp.ui[j], opt};
}

// ---------------------------------------------------------------------------

class BackwardReluAlphaKernel final : public CompiledKernel {
 public:
  BackwardReluAlphaKernel(const PlanBundle& plan, const TaskOp& op) : node_(plan.graph->node(op.node)) {
    n_ = plan.graph->type(node_.inputs[0]).numel();
    elements_ = spec_of(plan, op.reads.at(0)).shape.at(1);
    window_ = spec_of(plan, op.reads.at(0)).window;
    BF_CHECK(window_ == spec_of(plan, op.writes.at(0)).window, ErrorKind::Internal,
             "backward_relu_alpha between different windows");
    accumulate_ = op.accumulate.at(0);
    relax_ = find_layout(plan, op.reads, BufferLayout::Relaxation);
    input_ = find_interval_of(plan, op.reads, node_.inputs[0]);
    alpha_write_ = find_layout(plan, op.writes, BufferLayout::Alpha);
    const BufferId bias = plan.sweeps.at(static_cast<std::size_t>(op.start)).bias_buffer;
    bias_write_ = std::find(op.writes.begin(), op.writes.end(), bias) - op.writes.begin();
    leak_ = leak_of(node_);
  }
  std::string name() const override { return fmt::format("backward_relu_alpha[{}]", op_name(node_.op)); }
  std::int64_t scratch_bytes() const override { return 0; }

  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    const Planes rp = planes_of(io.inputs[static_cast<std::size_t>(relax_)]);
    const auto& iv = io.inputs[static_cast<std::size_t>(input_)];
    const auto& al = io.outputs[static_cast<std::size_t>(alpha_write_)];
    const auto& bo = io.outputs[static_cast<std::size_t>(bias_write_)];
    for (int s : sides_of(c)) {
      for_each_row(c.rows, elements_, [&](std::int64_t r) {
        const std::int64_t off = c.samples[r] * n_;
        const float* a = side(io.inputs[0], s) + r * elements_;
        float* t = side_mut(io.outputs[0], s) + r * elements_;
        float* p = side_mut(al, s) + c.slots[r] * elements_;
        const float* l = side(iv, 0);
        const float* u = side(iv, 1);
        float acc = 0.0f;
        for_each_run(
            window_, c, r, elements_,
            [&](std::int64_t e0, std::int64_t k, std::int64_t len) {
              const std::int64_t j = off + k;
              acc += row(s, a + e0, t + e0, p + e0, l + j, u + j, rp.ls + j, rp.li + j, rp.us + j, rp.ui + j, len);
            },
            [&](std::int64_t e0, std::int64_t len) {
              if (!accumulate_) std::fill(t + e0, t + e0 + len, 0.0f);
            });
        side_mut(bo, s)[r] += acc;
      });
    }
  }

  // One row of one side: t = a * slope (+ t), p clamped in place; returns sum a * intercept.
  float row(int s, const float* a, float* t, float* p, const float* l, const float* u, const float* ls, const float* li,
            const float* us, const float* ui, std::int64_t n) const {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), leak = _mm256_set1_ps(leak_);
    const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity()), ninf = _mm256_sub_ps(zero, inf);
    __m256 acc = zero;
    std::int64_t e = 0;
    for (; e + 8 <= n; e += 8) {
      const __m256 le = _mm256_loadu_ps(l + e), ue = _mm256_loadu_ps(u + e);
      // Optimised where l < 0 < u, both finite.
      const __m256 opt =
          _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(le, zero, _CMP_LT_OQ), _mm256_cmp_ps(ue, zero, _CMP_GT_OQ)),
                        _mm256_and_ps(_mm256_cmp_ps(le, ninf, _CMP_GT_OQ), _mm256_cmp_ps(ue, inf, _CMP_LT_OQ)));
      const __m256 lsv = _mm256_loadu_ps(ls + e);
      __m256 pe = _mm256_loadu_ps(p + e);
      const __m256 init = _mm256_blendv_ps(pe, lsv, _mm256_cmp_ps(pe, pe, _CMP_UNORD_Q));  // NaN: CROWN's slope
      const __m256 clamped = _mm256_min_ps(_mm256_max_ps(init, leak), one);
      pe = _mm256_blendv_ps(pe, clamped, opt);
      _mm256_storeu_ps(p + e, pe);
      const __m256 sl = _mm256_blendv_ps(lsv, pe, opt);
      const __m256 il = _mm256_andnot_ps(opt, _mm256_loadu_ps(li + e));
      const __m256 v = _mm256_loadu_ps(a + e);
      const __m256 pos = _mm256_cmp_ps(v, zero, _CMP_GT_OQ);
      // The lower side takes the lower line where A > 0; the upper side where A <= 0.
      const __m256 lower_line = s == 0 ? pos : _mm256_xor_ps(pos, _mm256_castsi256_ps(_mm256_set1_epi32(-1)));
      const __m256 slope = _mm256_blendv_ps(_mm256_loadu_ps(us + e), sl, lower_line);
      const __m256 icpt =
          _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_NEQ_UQ), _mm256_blendv_ps(_mm256_loadu_ps(ui + e), il, lower_line));
      __m256 out = _mm256_mul_ps(v, slope);
      if (accumulate_) out = _mm256_add_ps(out, _mm256_loadu_ps(t + e));
      _mm256_storeu_ps(t + e, out);
      acc = _mm256_fmadd_ps(v, icpt, acc);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, acc);
    float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; e < n; ++e) {
      const bool opt = l[e] < 0.0f && u[e] > 0.0f && std::isfinite(l[e]) && std::isfinite(u[e]);
      if (opt) p[e] = std::isnan(p[e]) ? ls[e] : std::min(std::max(p[e], leak_), 1.0f);
      const float sl = opt ? p[e] : ls[e], il = opt ? 0.0f : li[e];
      const float v = a[e];
      const bool lower_line = (s == 0) == (v > 0.0f);
      const float out = v * (lower_line ? sl : us[e]);
      t[e] = accumulate_ ? t[e] + out : out;
      if (v != 0.0f) sum += v * (lower_line ? il : ui[e]);
    }
    return sum;
  }

 private:
  Node node_;
  LinearWindow window_;
  std::int64_t n_ = 0, elements_ = 0, relax_ = -1, input_ = -1, alpha_write_ = -1, bias_write_ = -1;
  bool accumulate_ = false;
  float leak_ = 0.0f;
};

class DualReluKernel final : public CompiledKernel {
 public:
  DualReluKernel(const PlanBundle& plan, const TaskOp& op) : node_(plan.graph->node(op.node)) {
    n_ = plan.graph->type(node_.inputs[0]).numel();
    window_ = spec_of(plan, op.writes.at(0)).window;
    elements_ = spec_of(plan, op.writes.at(0)).shape.at(1);
    BF_CHECK(window_ == spec_of(plan, op.reads.at(0)).window, ErrorKind::Internal,
             "dual_relu between different windows");
    coeff_ = find_layout(plan, op.reads, BufferLayout::Linear);
    relax_ = find_layout(plan, op.reads, BufferLayout::Relaxation);
    alpha_ = find_layout(plan, op.reads, BufferLayout::Alpha);
    input_ = find_interval_of(plan, op.reads, node_.inputs[0]);
  }
  std::string name() const override {
    return fmt::format("dual_relu[{}{}]", op_name(node_.op), alpha_ >= 0 ? ",alpha" : "");
  }
  std::int64_t scratch_bytes() const override { return 0; }

  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    const Planes rp = planes_of(io.inputs[static_cast<std::size_t>(relax_)]);
    const auto& g_io = io.inputs[static_cast<std::size_t>(coeff_)];
    for (int s : sides_of(c)) {
      for_each_row(c.rows, elements_, [&](std::int64_t r) {
        const std::int64_t off = c.samples[r] * n_;
        const float* z = side(io.inputs[0], s) + r * elements_;
        const float* g = side(g_io, s) + r * elements_;
        float* d = side_mut(io.outputs[0], s) + r * elements_;
        if (alpha_ < 0) {
          for_each_run(
              window_, c, r, elements_,
              [&](std::int64_t e0, std::int64_t k, std::int64_t len) {
                const std::int64_t j0 = off + k;
                for (std::int64_t e = 0; e < len; ++e) {
                  const bool lower_line = (s == 0) == (g[e0 + e] > 0.0f);
                  const std::int64_t j = j0 + e;
                  d[e0 + e] = z[e0 + e] * (lower_line ? rp.ls[j] : rp.us[j]) + (lower_line ? rp.li[j] : rp.ui[j]);
                }
              },
              [&](std::int64_t e0, std::int64_t len) { std::fill(d + e0, d + e0 + len, 0.0f); });
          return;
        }
        const auto& iv = io.inputs[static_cast<std::size_t>(input_)];
        const float* l = side(iv, 0);
        const float* u = side(iv, 1);
        const float* p = side(io.inputs[static_cast<std::size_t>(alpha_)], s) + c.slots[r] * elements_;
        float* grad = side_mut(io.outputs[1], s) + c.slots[r] * elements_;
        for_each_run(
            window_, c, r, elements_,
            [&](std::int64_t e0, std::int64_t k, std::int64_t len) {
              const std::int64_t j = off + k;
              dual_row(s, z + e0, g + e0, p + e0, l + j, u + j, rp.ls + j, rp.li + j, rp.us + j, rp.ui + j, d + e0,
                       grad + e0, len);
            },
            [&](std::int64_t e0, std::int64_t len) {
              std::fill(d + e0, d + e0 + len, 0.0f);
              std::fill(grad + e0, grad + e0 + len, 0.0f);
            });
      });
    }
  }

  void dual_row(int s, const float* z, const float* g, const float* p, const float* l, const float* u, const float* ls,
                const float* li, const float* us, const float* ui, float* d, float* grad, std::int64_t n) const {
    const __m256 zero = _mm256_setzero_ps();
    const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity()), ninf = _mm256_sub_ps(zero, inf);
    const __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    std::int64_t e = 0;
    for (; e + 8 <= n; e += 8) {
      const __m256 le = _mm256_loadu_ps(l + e), ue = _mm256_loadu_ps(u + e);
      const __m256 opt =
          _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(le, zero, _CMP_LT_OQ), _mm256_cmp_ps(ue, zero, _CMP_GT_OQ)),
                        _mm256_and_ps(_mm256_cmp_ps(le, ninf, _CMP_GT_OQ), _mm256_cmp_ps(ue, inf, _CMP_LT_OQ)));
      const __m256 sl = _mm256_blendv_ps(_mm256_loadu_ps(ls + e), _mm256_loadu_ps(p + e), opt);
      const __m256 il = _mm256_andnot_ps(opt, _mm256_loadu_ps(li + e));
      const __m256 ge = _mm256_loadu_ps(g + e), ze = _mm256_loadu_ps(z + e);
      const __m256 pos = _mm256_cmp_ps(ge, zero, _CMP_GT_OQ);
      const __m256 lower_line = s == 0 ? pos : _mm256_xor_ps(pos, all);
      const __m256 slope = _mm256_blendv_ps(_mm256_loadu_ps(us + e), sl, lower_line);
      const __m256 icpt = _mm256_blendv_ps(_mm256_loadu_ps(ui + e), il, lower_line);
      _mm256_storeu_ps(d + e, _mm256_fmadd_ps(ze, slope, icpt));
      _mm256_storeu_ps(grad + e, _mm256_and_ps(_mm256_and_ps(opt, lower_line), _mm256_mul_ps(ge, ze)));
    }
    for (; e < n; ++e) {
      const bool opt = l[e] < 0.0f && u[e] > 0.0f && std::isfinite(l[e]) && std::isfinite(u[e]);
      const float sl = opt ? p[e] : ls[e], il = opt ? 0.0f : li[e];
      const bool lower_line = (s == 0) == (g[e] > 0.0f);
      d[e] = z[e] * (lower_line ? sl : us[e]) + (lower_line ? il : ui[e]);
      grad[e] = opt && lower_line ? g[e] * z[e] : 0.0f;
    }
  }

 private:
  Node node_;
  LinearWindow window_;
  std::int64_t n_ = 0, elements_ = 0, coeff_ = -1, relax_ = -1, alpha_ = -1, input_ = -1;
};

// D_out = D_in W^T + b for Affine y = x W^T + b.
class DualAffineKernel final : public CompiledKernel {
 public:
  DualAffineKernel(const PlanBundle& plan, const TaskOp& op) {
    const Graph& g = *plan.graph;
    const Node& node = g.node(op.node);
    const Tensor& wt = g.constant(node.inputs[1]);
    n_ = wt.shape()[0];
    k_ = wt.shape()[1];
    positions_ = spec_of(plan, op.reads.at(0)).shape.at(1) / k_;
    BF_CHECK(positions_ * k_ == spec_of(plan, op.reads.at(0)).shape.at(1) &&
                 positions_ * n_ == spec_of(plan, op.writes.at(0)).shape.at(1),
             ErrorKind::Internal, "dual_affine rows do not match the weights");
    transposed_ = PreparedStore::global().get(wt, "transposed f32", [&] {
      const Tensor w = wt.dtype() == DType::F32 ? wt : wt.cast(DType::F32);
      const float* src = w.data<float>();
      std::vector<float> t(static_cast<std::size_t>(k_ * n_));
      for (std::int64_t j = 0; j < n_; ++j) {
        for (std::int64_t i = 0; i < k_; ++i) t[static_cast<std::size_t>(i * n_ + j)] = src[j * k_ + i];
      }
      return t;
    });
    packed_ = PreparedStore::global().get(wt, "transposed rowwise_gemm panels", [&] {
      std::vector<float> packed(static_cast<std::size_t>(packed_b_floats(k_, n_)));
      pack_b(transposed_->data(), n_, k_, n_, nullptr, packed.data());
      return packed;
    });
    rows_cap_ = plan.sweeps.at(static_cast<std::size_t>(op.start)).rows_per_chunk;
    compact_ = positions_ == 1 && k_ >= 128;  // per-sample skipping pays on wide layers only
    if (node.inputs.size() > 2 && node.inputs[2] != kNoValue) {
      const Tensor& bt = g.constant(node.inputs[2]);
      bias_ = PreparedStore::global().get(bt, "f32", [&] {
        const Tensor b = bt.dtype() == DType::F32 ? bt : bt.cast(DType::F32);
        return b.to_vector<float>();
      });
    }
  }
  std::string name() const override { return compact_ ? "dual_affine[gemm,skip_zero_columns]" : "dual_affine[gemm]"; }
  // Skipping zero columns: W^T's rows packed for a sample, and the rows' packed columns (both sides).
  std::int64_t scratch_bytes() const override {
    return compact_ ? (packed_b_floats(k_, n_) + 2 * rows_cap_ * k_) * static_cast<std::int64_t>(sizeof(float)) : 0;
  }
  std::vector<PreparedFloats> shared_prepared() const override { return {packed_, transposed_, bias_}; }

  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    if (compact_ && fast_linear::rows_per_sample_at_least(c, fast_linear::kMinRowsPerSampleToSkipColumns)) {
      run_compact(io, c);
    } else {
      const std::int64_t m = c.rows * positions_;
      for (int s : sides_of(c)) {
        rowwise_gemm(m, k_, n_, side(io.inputs[0], s), k_, packed_->data(), side_mut(io.outputs[0], s), n_, false);
        add_bias(side_mut(io.outputs[0], s), m);
      }
    }
  }

 private:
  void add_bias(float* d, std::int64_t m) const {
    if (!bias_) return;
    for (std::int64_t i = 0; i < m; ++i) {
      float* row = d + i * n_;
      for (std::int64_t j = 0; j < n_; ++j) row[j] += (*bias_)[static_cast<std::size_t>(j)];
    }
  }

  // After a ReLU, D is zero at the neurons inactive for a row's sample (both
  // lines are 0 there): per sample, only the columns some row uses go through
  // the product. Skipped columns would add exact zeros.
  void run_compact(const KernelIO& io, const SweepChunk& c) {
    auto* packed_w = static_cast<float*>(io.scratch);
    const std::int64_t w_floats = packed_b_floats(k_, n_);
    float* packed_d[2] = {packed_w + w_floats, packed_w + w_floats + rows_cap_ * k_};
    const std::vector<int> sides = sides_of(c);
    std::vector<std::int64_t> cols;
    cols.reserve(static_cast<std::size_t>(k_));
    std::vector<std::uint8_t> used(static_cast<std::size_t>(k_));
    for (std::int64_t first = 0; first < c.rows;) {
      std::int64_t last = first + 1;
      while (last < c.rows && c.samples[last] == c.samples[first]) ++last;
      const std::int64_t rows = last - first;
      std::fill(used.begin(), used.end(), 0);
      for (int s : sides) {
        const float* z = side(io.inputs[0], s) + first * k_;
        for (std::int64_t r = 0; r < rows; ++r) {
          for (std::int64_t j = 0; j < k_; ++j) used[static_cast<std::size_t>(j)] |= z[r * k_ + j] != 0.0f;
        }
      }
      cols.clear();
      for (std::int64_t j = 0; j < k_; ++j) {
        if (used[static_cast<std::size_t>(j)]) cols.push_back(j);
      }
      const auto nc = static_cast<std::int64_t>(cols.size());
      const bool pack = nc * 10 < k_ * 9;  // worth it from 10% zero columns on
      if (pack) pack_b(transposed_->data(), n_, nc, n_, cols.data(), packed_w);
      for (int s : sides) {
        const float* z = side(io.inputs[0], s) + first * k_;
        float* d = side_mut(io.outputs[0], s) + first * n_;
        if (nc == 0) {
          std::memset(d, 0, static_cast<std::size_t>(rows * n_) * sizeof(float));
        } else if (pack) {
          float* pz = packed_d[s];
          for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t i = 0; i < nc; ++i) pz[r * nc + i] = z[r * k_ + cols[static_cast<std::size_t>(i)]];
          }
          rowwise_gemm(rows, nc, n_, pz, nc, packed_w, d, n_, false);
        } else {
          rowwise_gemm(rows, k_, n_, z, k_, packed_->data(), d, n_, false);
        }
        add_bias(d, rows);
      }
      first = last;
    }
  }

  std::int64_t n_ = 0, k_ = 0, positions_ = 1, rows_cap_ = 0;
  bool compact_ = false;
  PreparedFloats packed_, transposed_, bias_;
};

class DualViewKernel final : public CompiledKernel {
 public:
  DualViewKernel(const PlanBundle& plan, const TaskOp& op) : op_(plan.graph->node(op.node).op) {
    elements_ = spec_of(plan, op.reads.at(0)).shape.at(1);
    BF_CHECK(elements_ == spec_of(plan, op.writes.at(0)).shape.at(1), ErrorKind::Internal, "dual view rows differ");
  }
  std::string name() const override { return fmt::format("dual_view[{}]", op_name(op_)); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    for (int s : sides_of(c)) {
      std::memcpy(side_mut(io.outputs[0], s), side(io.inputs[0], s),
                  static_cast<std::size_t>(c.rows * elements_) * sizeof(float));
    }
  }

 private:
  OpKind op_;
  std::int64_t elements_ = 0;
};

// Conv (group 1): D_out = conv(D_in) + b with the rows as images. Whole
// images: the primal convolution (oneDNN through eval_op) over the rows.
// Windows: one dense matrix T^T over the output window's natural input window
// (what the backward kernel multiplies by T), gathered from the input window.
class DualConvKernel final : public CompiledKernel {
 public:
  DualConvKernel(const PlanBundle& plan, const TaskOp& op) : node_(plan.graph->node(op.node)) {
    const Graph& g = *plan.graph;
    const Shape& xs = g.type(node_.inputs[0]).shape;
    const Shape& ys = g.type(node_.outputs[0]).shape;
    in_shape_ = xs;
    out_shape_ = ys;
    const BufferSpec& in = spec_of(plan, op.reads.at(0));
    const BufferSpec& out = spec_of(plan, op.writes.at(0));
    in_w_ = in.window;
    out_w_ = out.window;
    in_elements_ = in.shape.at(1);
    out_elements_ = out.shape.at(1);
    weights_ = g.constant(node_.inputs[1]);
    if (weights_.dtype() != DType::F32) weights_ = weights_.cast(DType::F32);
    if (node_.inputs.size() > 2 && node_.inputs[2] != kNoValue) {
      bias_ = g.constant(node_.inputs[2]);
      if (bias_.dtype() != DType::F32) bias_ = bias_.cast(DType::F32);
    }
    cin_ = xs[1];
    cout_ = ys[1];
    whole_ = !out_w_.spatial || out_w_.full();
    rows_cap_ = plan.sweeps.at(static_cast<std::size_t>(op.start)).rows_per_chunk;
    if (whole_) {
      BF_CHECK(in_elements_ == numel(xs) && out_elements_ == numel(ys), ErrorKind::Internal,
               "dual_conv: whole output rows need whole input rows");
      return;
    }
    const auto& k = node_.attrs.get_ints("kernel_shape");
    const auto& st = node_.attrs.get_ints("strides");
    const auto& pads = node_.attrs.get_ints("pads");
    const auto& dil = node_.attrs.get_ints("dilations");
    natural_ = in_w_;
    natural_.win_h = (out_w_.win_h - 1) * st[0] + (k[0] - 1) * dil[0] + 1;
    natural_.win_w = (out_w_.win_w - 1) * st[1] + (k[1] - 1) * dil[1] + 1;
    natural_.scale_h = out_w_.scale_h * st[0];
    natural_.scale_w = out_w_.scale_w * st[1];
    natural_.shift_h = out_w_.shift_h * st[0] - pads[0];
    natural_.shift_w = out_w_.shift_w * st[1] - pads[1];
    direct_ = natural_ == in_w_;
    p_out_ = out_w_.win_h * out_w_.win_w;
    const std::int64_t p_in = natural_.win_h * natural_.win_w;
    k_ = cin_ * p_in;
    n_ = cout_ * p_out_;
    const std::string geometry = fmt::format("{}x{} to {}x{} stride {},{} dilation {},{}", out_w_.win_h, out_w_.win_w,
                                             natural_.win_h, natural_.win_w, st[0], st[1], dil[0], dil[1]);
    packed_ = PreparedStore::global().get(weights_, "dual conv panels " + geometry, [&] {
      // T^T [(ci, pi), (co, po)] = W[co, ci, a, b] where pi = po * stride + (a, b) * dilation.
      std::vector<float> tt(static_cast<std::size_t>(k_ * n_), 0.0f);
      const float* w = weights_.data<float>();
      for (std::int64_t co = 0; co < cout_; ++co) {
        for (std::int64_t i = 0; i < out_w_.win_h; ++i) {
          for (std::int64_t j = 0; j < out_w_.win_w; ++j) {
            const std::int64_t col = co * p_out_ + i * out_w_.win_w + j;
            for (std::int64_t ci = 0; ci < cin_; ++ci) {
              for (std::int64_t a = 0; a < k[0]; ++a) {
                for (std::int64_t b = 0; b < k[1]; ++b) {
                  const std::int64_t hi = i * st[0] + a * dil[0], wi = j * st[1] + b * dil[1];
                  const std::int64_t row = ci * p_in + hi * natural_.win_w + wi;
                  tt[static_cast<std::size_t>(row * n_ + col)] = w[((co * cin_ + ci) * k[0] + a) * k[1] + b];
                }
              }
            }
          }
        }
      }
      std::vector<float> packed(static_cast<std::size_t>(packed_b_floats(k_, n_)));
      pack_b(tt.data(), n_, k_, n_, nullptr, packed.data());
      return packed;
    });
  }
  std::string name() const override { return whole_ ? "dual_conv[whole:primal]" : "dual_conv[window:dense_gemm]"; }
  std::int64_t scratch_bytes() const override {
    return whole_ || direct_ ? 0 : rows_cap_ * k_ * static_cast<std::int64_t>(sizeof(float));
  }
  std::vector<PreparedFloats> shared_prepared() const override { return {packed_}; }

  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    if (c.rows == 0) return;
    for (int s : sides_of(c)) {
      const float* z = side(io.inputs[0], s);
      float* d = side_mut(io.outputs[0], s);
      if (whole_) {
        const ConstOperand ins[3] = {{z, DType::F32, &in_shape_, true},
                                     {weights_.raw_data(), DType::F32, &weights_.shape(), false},
                                     {bias_.defined() ? bias_.raw_data() : nullptr, DType::F32,
                                      bias_.defined() ? &bias_.shape() : nullptr, false}};
        const MutOperand out{d, DType::F32, &out_shape_};
        eval_op(node_, std::span<const ConstOperand>(ins, node_.inputs.size()), std::span<const MutOperand>(&out, 1),
                c.rows);
        continue;
      }
      const float* nat = z;
      if (!direct_) {
        auto* g = static_cast<float*>(io.scratch);
        for (std::int64_t r = 0; r < c.rows; ++r) gather_natural(z + r * in_elements_, g + r * k_, c, r);
        nat = g;
      }
      rowwise_gemm(c.rows, k_, n_, nat, direct_ ? in_elements_ : k_, packed_->data(), d, out_elements_, false);
      for (std::int64_t r = 0; r < c.rows; ++r) finish_row(d + r * out_elements_, c, r);
    }
  }

 private:
  // The natural window of row r from its input window (zero outside the image).
  void gather_natural(const float* in, float* nat, const SweepChunk& c, std::int64_t r) const {
    const RowOrigin no = row_origin(natural_, c.start, c.neurons[r]);
    const RowOrigin to = row_origin(in_w_, c.start, c.neurons[r]);
    const std::int64_t nh = natural_.win_h, nw = natural_.win_w;
    for (std::int64_t ch = 0; ch < cin_; ++ch) {
      for (std::int64_t i = 0; i < nh; ++i) {
        float* line = nat + (ch * nh + i) * nw;
        const std::int64_t h = no.h + i;
        for (std::int64_t j = 0; j < nw; ++j) {
          const std::int64_t w = no.w + j;
          const bool inside = h >= 0 && h < natural_.height && w >= 0 && w < natural_.width;
          line[j] = inside ? in[(ch * in_w_.win_h + (h - to.h)) * in_w_.win_w + (w - to.w)] : 0.0f;
        }
      }
    }
  }

  // Adds the bias and zeroes the output window's entries outside the image.
  void finish_row(float* d, const SweepChunk& c, std::int64_t r) const {
    const RowOrigin o = row_origin(out_w_, c.start, c.neurons[r]);
    for (std::int64_t co = 0; co < cout_; ++co) {
      const float b = bias_.defined() ? bias_.data<float>()[co] : 0.0f;
      for (std::int64_t i = 0; i < out_w_.win_h; ++i) {
        float* line = d + (co * out_w_.win_h + i) * out_w_.win_w;
        const std::int64_t h = o.h + i;
        for (std::int64_t j = 0; j < out_w_.win_w; ++j) {
          const std::int64_t w = o.w + j;
          const bool inside = h >= 0 && h < out_w_.height && w >= 0 && w < out_w_.width;
          line[j] = inside ? line[j] + b : 0.0f;
        }
      }
    }
  }

  Node node_;
  Shape in_shape_, out_shape_;
  LinearWindow in_w_, out_w_, natural_;
  std::int64_t in_elements_ = 0, out_elements_ = 0, cin_ = 0, cout_ = 0, rows_cap_ = 0, p_out_ = 0, k_ = 0, n_ = 0;
  Tensor weights_, bias_;
  bool whole_ = true, direct_ = false;
  PreparedFloats packed_;
};

class DualSeedFastKernel final : public CompiledKernel {
 public:
  DualSeedFastKernel(const PlanBundle& plan, const TaskOp& op) {
    n_ = plan.graph->type(plan.graph->inputs()[0]).numel();
    window_ = spec_of(plan, op.reads.at(0)).window;
    elements_ = spec_of(plan, op.reads.at(0)).shape.at(1);
  }
  std::string name() const override { return "dual_seed[fast]"; }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    for (int s : sides_of(c)) {
      for_each_row(c.rows, elements_, [&](std::int64_t r) {
        const std::int64_t off = c.samples[r] * n_;
        const float* a = side(io.inputs[0], s) + r * elements_;
        const float* xl = side(io.inputs[1], 0) + off;
        const float* xu = side(io.inputs[1], 1) + off;
        float* d = side_mut(io.outputs[0], s) + r * elements_;
        for_each_run(
            window_, c, r, elements_,
            [&](std::int64_t e0, std::int64_t k, std::int64_t len) {
              for (std::int64_t e = 0; e < len; ++e)
                d[e0 + e] = ((s == 0) == (a[e0 + e] >= 0.0f)) ? xl[k + e] : xu[k + e];
            },
            [&](std::int64_t e0, std::int64_t len) { std::fill(d + e0, d + e0 + len, 0.0f); });
      });
    }
  }

 private:
  LinearWindow window_;
  std::int64_t n_ = 0, elements_ = 0;
};

}  // namespace

std::unique_ptr<CompiledKernel> make_alpha_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op) {
  switch (kind) {
    case StepKind::BackwardReluAlpha:
      return std::make_unique<BackwardReluAlphaKernel>(plan, op);
    case StepKind::DualRelu:
      return std::make_unique<DualReluKernel>(plan, op);
    case StepKind::DualAffine:
      return std::make_unique<DualAffineKernel>(plan, op);
    case StepKind::DualView:
      return std::make_unique<DualViewKernel>(plan, op);
    case StepKind::DualConv:
      return std::make_unique<DualConvKernel>(plan, op);
    case StepKind::DualSeedDense:
      return std::make_unique<DualSeedFastKernel>(plan, op);
    default:
      fail(ErrorKind::Internal, "{} has no alpha kernel", step_kind_name(kind));
  }
}

}  // namespace bf
