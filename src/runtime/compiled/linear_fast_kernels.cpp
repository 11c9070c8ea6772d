#include "runtime/compiled/linear_fast_kernels.h"

#include <fmt/format.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <tuple>

#include "bound/linear/linear_geometry.h"
#include "kernels/interval/centre_radius.h"
#include "kernels/relaxed_apply.h"
#include "kernels/rowwise_gemm.h"
#include "runtime/compiled/backward_conv_kernel.h"
#include "runtime/compiled/linear_fast_util.h"
#include "support/error.h"
#include "support/row_parallel.h"

namespace bf {
namespace {

using namespace fast_linear;

// ---------------------------------------------------------------------------
// Affine: y[p, n] = sum_k x[p, k] W[n, k] + b[n]  =>  A_in = A_out W, bias += A_out b.

class BackwardAffineKernel final : public CompiledKernel {
 public:
  BackwardAffineKernel(const PlanBundle& plan, const TaskOp& op) {
    const Graph& g = *plan.graph;
    const Node& node = g.node(op.node);
    const Shape& ws = g.constant(node.inputs[1]).shape();
    n_ = ws[0];
    k_ = ws[1];
    PreparedStore& store = PreparedStore::global();
    const Tensor& wt = g.constant(node.inputs[1]);
    w_ = store.get(wt, "f32", [&] { return floats_of(wt); });
    if (node.inputs.size() > 2 && node.inputs[2] != kNoValue) {
      const Tensor& bt = g.constant(node.inputs[2]);
      b_ = store.get(bt, "f32", [&] { return floats_of(bt); });
    }
    out_ = geo_of(plan, op.reads.at(0));
    in_ = geo_of(plan, op.writes.at(0));
    positions_ = out_.elements / n_;
    accumulate_ = op.accumulate.at(0);
    const SweepInfo& sw = plan.sweeps.at(static_cast<std::size_t>(op.start));
    // The rows of the start value itself are one-hot: A_in is W's rows, gathered.
    seeded_ = spec_of(plan, op.reads.at(0)).value == sw.value && positions_ == 1;
    // Per-sample column skipping costs a packing and a product call per sample: it pays on wide layers.
    compact_ = !seeded_ && positions_ == 1 && n_ >= 128;
    rows_cap_ = sw.rows_per_chunk;
    if (!seeded_) {
      packed_w_ = store.get(wt, "rowwise_gemm panels", [&] {
        std::vector<float> packed(static_cast<std::size_t>(packed_b_floats(n_, k_)));
        pack_b(w_->data(), k_, n_, k_, nullptr, packed.data());
        return packed;
      });
    }
  }
  std::string name() const override {
    return seeded_    ? "backward_affine[gather]"
           : compact_ ? "backward_affine[gemm,skip_zero_columns]"
                      : "backward_affine[gemm]";
  }
  // Skipping zero columns: the packed columns of A (both sides) and the matching rows of W.
  std::int64_t scratch_bytes() const override {
    return compact_ ? (2 * rows_cap_ * n_ + packed_b_floats(n_, k_)) * static_cast<std::int64_t>(sizeof(float)) : 0;
  }
  std::vector<PreparedFloats> shared_prepared() const override { return {w_, b_, packed_w_}; }

  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    if (compact_ && rows_per_sample_at_least(c, kMinRowsPerSampleToSkipColumns)) {
      run_compact(io, c);
      return;
    }
    for (int s : sides_of(c)) {
      const float* ao = side_ptr(io.inputs[0].lower, io.inputs[0].upper, s);
      float* ai = side_ptr(io.outputs[0].lower, io.outputs[0].upper, s);
      float* bias = side_ptr(io.outputs[1].lower, io.outputs[1].upper, s);
      if (seeded_) {
        for (std::int64_t r = 0; r < c.rows; ++r) {
          const float* wr = w_->data() + c.neurons[r] * k_;
          float* dst = ai + r * in_.elements;
          if (accumulate_) {
            for (std::int64_t j = 0; j < k_; ++j) dst[j] += wr[j];
          } else {
            std::memcpy(dst, wr, static_cast<std::size_t>(k_) * sizeof(float));
          }
          if (b_) bias[r] += (*b_)[static_cast<std::size_t>(c.neurons[r])];
        }
        continue;
      }
      if (c.rows == 0) continue;
      rowwise_gemm(c.rows * positions_, n_, k_, ao, n_, packed_w_->data(), ai, k_, accumulate_);
      if (b_) {
        for (std::int64_t r = 0; r < c.rows; ++r) {
          float acc = 0.0f;
          for (std::int64_t p = 0; p < positions_; ++p) acc += dot(ao + r * out_.elements + p * n_, b_->data(), n_);
          bias[r] += acc;
        }
      }
    }
  }

 private:
  // After a ReLU, the columns of A at inactive neurons are zero on both sides
  // (and at neurons a row's sample has inactive). Rows come grouped by sample:
  // per group, only the columns some row uses go through the product, with the
  // matching rows of W packed beside them. Skipped columns contribute nothing.
  void run_compact(const KernelIO& io, const SweepChunk& c) {
    auto* packed_w = static_cast<float*>(io.scratch);
    const std::int64_t w_floats = packed_b_floats(n_, k_);
    float* packed_a[2] = {packed_w + w_floats, packed_w + w_floats + rows_cap_ * n_};
    const std::vector<int> sides = sides_of(c);
    std::vector<std::int64_t> cols;
    cols.reserve(static_cast<std::size_t>(n_));
    std::vector<std::uint8_t> used(static_cast<std::size_t>(n_));
    for (std::int64_t first = 0; first < c.rows;) {
      std::int64_t last = first + 1;
      while (last < c.rows && c.samples[last] == c.samples[first]) ++last;
      const std::int64_t rows = last - first;
      std::fill(used.begin(), used.end(), 0);
      for (int s : sides) {
        const float* ao = side_ptr(io.inputs[0].lower, io.inputs[0].upper, s) + first * n_;
        for (std::int64_t r = 0; r < rows; ++r) {
          for (std::int64_t j = 0; j < n_; ++j) used[static_cast<std::size_t>(j)] |= ao[r * n_ + j] != 0.0f;
        }
      }
      cols.clear();
      for (std::int64_t j = 0; j < n_; ++j) {
        if (used[static_cast<std::size_t>(j)]) cols.push_back(j);
      }
      const auto nc = static_cast<std::int64_t>(cols.size());
      const bool pack = nc * 10 < n_ * 9;  // worth it from 10% zero columns on
      if (pack) pack_b(w_->data(), k_, nc, k_, cols.data(), packed_w);
      for (int s : sides) {
        const float* ao = side_ptr(io.inputs[0].lower, io.inputs[0].upper, s) + first * n_;
        float* ai = side_ptr(io.outputs[0].lower, io.outputs[0].upper, s) + first * in_.elements;
        float* bias = side_ptr(io.outputs[1].lower, io.outputs[1].upper, s) + first;
        if (nc == 0) {
          if (!accumulate_) std::memset(ai, 0, static_cast<std::size_t>(rows * in_.elements) * sizeof(float));
        } else if (pack) {
          float* pa = packed_a[s];
          for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t i = 0; i < nc; ++i) pa[r * nc + i] = ao[r * n_ + cols[static_cast<std::size_t>(i)]];
          }
          rowwise_gemm(rows, nc, k_, pa, nc, packed_w, ai, k_, accumulate_);
        } else {
          rowwise_gemm(rows, n_, k_, ao, n_, packed_w_->data(), ai, k_, accumulate_);
        }
        if (b_) {
          for (std::int64_t r = 0; r < rows; ++r) bias[r] += dot(ao + r * n_, b_->data(), n_);
        }
      }
      first = last;
    }
  }

  std::int64_t n_ = 0, k_ = 0, positions_ = 1, rows_cap_ = 0;
  PreparedFloats w_, b_;     // W [n, k] and b as f32, shared (prepared_store.h)
  PreparedFloats packed_w_;  // W in rowwise_gemm's panels (all but the gather)
  Geo out_, in_;
  bool accumulate_ = false, seeded_ = false, compact_ = false;
};

// ---------------------------------------------------------------------------
// Elementwise relaxation: lower side takes the lower line where A > 0 and the
// upper line where A < 0; the upper side the other way round.

class BackwardRelaxedKernel final : public CompiledKernel {
 public:
  BackwardRelaxedKernel(const PlanBundle& plan, const TaskOp& op, const Node& node) : op_(node.op) {
    out_ = geo_of(plan, op.reads.at(0));
    in_ = geo_of(plan, op.writes.at(0));
    BF_CHECK(same_geometry(out_, in_), ErrorKind::Internal, "relaxed backward between different windows");
    numel_ = numel(out_.shape);
    accumulate_ = op.accumulate.at(0);
  }
  std::string name() const override { return fmt::format("backward_relaxed[{}]", op_name(op_)); }
  std::int64_t scratch_bytes() const override { return 0; }

  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    const auto* relax = static_cast<const char*>(io.inputs[1].lower);
    const std::int64_t plane = static_cast<const char*>(io.inputs[1].upper) - relax;
    // The four planes: lower slope, lower intercept, upper slope, upper intercept.
    const float* planes[4];
    for (int q = 0; q < 4; ++q) planes[q] = reinterpret_cast<const float*>(relax + q * plane);
    const LinearWindow& w = out_.w;
    if (w.spatial && !w.full()) {
      window_rows(io, planes);
      return;
    }
    for (int s : sides_of(c)) {
      const float* ao = side_ptr(io.inputs[0].lower, io.inputs[0].upper, s);
      float* ai = side_ptr(io.outputs[0].lower, io.outputs[0].upper, s);
      float* bias = side_ptr(io.outputs[1].lower, io.outputs[1].upper, s);
      const Lines l = lines_of(planes, s);
      for_each_row(c.rows, out_.elements, [&](std::int64_t r) {
        const std::int64_t off = c.samples[r] * numel_;
        bias[r] += apply(ao + r * out_.elements, ai + r * in_.elements, l.pos_s + off, l.pos_i + off, l.neg_s + off,
                         l.neg_i + off, out_.elements);
      });
    }
  }

 private:
  // For side s (0 lower, 1 upper) of planes [lower slope, lower intercept,
  // upper slope, upper intercept]: the line taken where A > 0 (pos) and where A < 0 (neg).
  struct Lines {
    const float *pos_s, *pos_i, *neg_s, *neg_i;
  };
  static Lines lines_of(const float* const* planes, int s) {
    return s == 0 ? Lines{planes[0], planes[1], planes[2], planes[3]}
                  : Lines{planes[2], planes[3], planes[0], planes[1]};
  }

  // Window rows grouped by (sample, origin): the rows of a group (the
  // start's channels at one position) share the window's slopes and
  // intercepts, which are gathered once into contiguous planes, zero outside
  // the image; then each row is one pass over its whole window (lines of 3 to
  // 14 elements otherwise go one by one). Outside the image a row holds zeros
  // (the window invariant): a zero slope keeps them zero, or leaves an
  // accumulated row as it is, and a zero coefficient takes no intercept.
  void window_rows(const KernelIO& io, const float* const* planes) const {
    const SweepChunk& c = *io.chunk;
    const LinearWindow& w = out_.w;
    const std::int64_t n = out_.elements;
    using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t>;  // sample, origin h, origin w
    std::vector<std::pair<Key, std::int64_t>> order;                   // (key, row)
    for (std::int64_t r = 0; r < c.rows; ++r) {
      const RowOrigin o = row_origin(w, c.start, c.neurons[r]);
      order.emplace_back(Key{c.samples[r], o.h, o.w}, r);
    }
    std::sort(order.begin(), order.end());
    std::vector<float> gathered(static_cast<std::size_t>(4 * n));
    for (std::size_t g0 = 0; g0 < order.size();) {
      std::size_t g1 = g0;
      while (g1 < order.size() && order[g1].first == order[g0].first) ++g1;
      const std::int64_t r0 = order[g0].second;
      const RowOrigin o = row_origin(w, c.start, c.neurons[r0]);
      const std::int64_t off = c.samples[r0] * numel_;
      for (std::int64_t i = 0; i < w.win_h; ++i) {
        const Run run = run_of(w, o, i);
        const bool whole_line = run.j0 == 0 && run.j1 == w.win_w;
        for (std::int64_t ch = 0; ch < w.channels; ++ch) {
          const std::int64_t at = (ch * w.win_h + i) * w.win_w, from = off + (ch * w.height + o.h + i) * w.width + o.w;
          for (int q = 0; q < 4; ++q) {
            float* line = gathered.data() + q * n + at;
            const float* src = planes[q] + from;
            if (whole_line) {
              for (std::int64_t j = 0; j < w.win_w; ++j) line[j] = src[j];
              continue;
            }
            std::fill(line, line + w.win_w, 0.0f);
            for (std::int64_t j = run.j0; j < run.j1; ++j) line[j] = src[j];
          }
        }
      }
      const float* gp[4] = {gathered.data(), gathered.data() + n, gathered.data() + 2 * n, gathered.data() + 3 * n};
      for (int s : sides_of(c)) {
        const float* ao = side_ptr(io.inputs[0].lower, io.inputs[0].upper, s);
        float* ai = side_ptr(io.outputs[0].lower, io.outputs[0].upper, s);
        float* bias = side_ptr(io.outputs[1].lower, io.outputs[1].upper, s);
        const Lines l = lines_of(gp, s);
        for (std::size_t k = g0; k < g1; ++k) {
          const std::int64_t r = order[k].second;
          bias[r] += apply(ao + r * out_.elements, ai + r * in_.elements, l.pos_s, l.pos_i, l.neg_s, l.neg_i, n);
        }
      }
      g0 = g1;
    }
  }

  float apply(const float* a, float* t, const float* ps, const float* pi, const float* ns, const float* ni,
              std::int64_t n) const {
    return relaxed_apply(a, t, ps, pi, ns, ni, n, accumulate_);
  }

  OpKind op_;
  Geo out_, in_;
  std::int64_t numel_ = 0;
  bool accumulate_ = false;
};

// ---------------------------------------------------------------------------
// A view between dense rows: the same elements in the same order.

class BackwardViewKernel final : public CompiledKernel {
 public:
  BackwardViewKernel(const PlanBundle& plan, const TaskOp& op, const Node& node) : op_(node.op) {
    elements_ = geo_of(plan, op.reads.at(0)).elements;
    BF_CHECK(elements_ == geo_of(plan, op.writes.at(0)).elements, ErrorKind::Internal, "view rows differ in size");
    accumulate_ = op.accumulate.at(0);
  }
  std::string name() const override { return fmt::format("backward_view[{}]", op_name(op_)); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    const std::int64_t n = c.rows * elements_;
    for (int s : sides_of(c)) {
      const float* src = side_ptr(io.inputs[0].lower, io.inputs[0].upper, s);
      float* dst = side_ptr(io.outputs[0].lower, io.outputs[0].upper, s);
      if (accumulate_) {
        for (std::int64_t i = 0; i < n; ++i) dst[i] += src[i];
      } else {
        std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
      }
    }
  }

 private:
  OpKind op_;
  std::int64_t elements_ = 0;
  bool accumulate_ = false;
};

}  // namespace

std::unique_ptr<CompiledKernel> make_fast_backward_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op) {
  const Node& node = plan.graph->node(op.node);
  switch (kind) {
    case StepKind::BackwardAffine:
      return std::make_unique<BackwardAffineKernel>(plan, op);
    case StepKind::BackwardConv:
      return make_backward_conv_kernel(plan, op);
    case StepKind::BackwardRelaxed:
      return std::make_unique<BackwardRelaxedKernel>(plan, op, node);
    case StepKind::BackwardView:
      return std::make_unique<BackwardViewKernel>(plan, op, node);
    default:
      fail(ErrorKind::Internal, "{} has no fast kernel", step_kind_name(kind));
  }
}

void concretize_fast(const SweepChunk& c, DType dtype, const LinearView& at, const BiasView& bias, IntervalView box,
                     const ConcretizeTarget& t) {
  if (dtype != DType::F32) {
    concretize_rows(c, dtype, at, bias, box, t);
    return;
  }
  const std::int64_t n = numel(at.value_shape);
  const LinearWindow& w = at.window;
  const bool dense = !w.spatial || w.full();
  {
    for_each_row(c.rows, at.elements, [&](std::int64_t r) {
      const std::int64_t b = c.samples[r];
      const float* xl = static_cast<const float*>(box.lower) + b * n;
      const float* xu = static_cast<const float*>(box.upper) + b * n;
      const std::int64_t out = b * t.numel + c.neurons[r];
      for (int s : sides_of(c)) {
        const float* row = static_cast<const float*>(at.side(s)) + r * at.elements;
        float sum = 0.0f, spread = 0.0f;
        if (dense) {
          box_dots(row, xl, xu, at.elements, sum, spread);
        } else {
          const RowOrigin o = row_origin(w, c.start, c.neurons[r]);
          for (std::int64_t ch = 0; ch < w.channels; ++ch) {
            for (std::int64_t i = 0; i < w.win_h; ++i) {
              const Run run = run_of(w, o, i);
              if (run.j1 <= run.j0) continue;
              const std::int64_t k0 = (ch * w.height + o.h + i) * w.width + o.w + run.j0;
              box_dots(row + (ch * w.win_h + i) * w.win_w + run.j0, xl + k0, xu + k0, run.j1 - run.j0, sum, spread);
            }
          }
        }
        const float acc = static_cast<const float*>(bias.side(s))[r];
        float bound = acc + (s == 0 ? sum - spread : sum + spread);
        if (t.sound) bound = outward(bound, s, concretize_rounding(c, dtype, at, s, r, box, acc));
        float& dst = static_cast<float*>(s == 0 ? t.lower : t.upper)[out];
        dst = !t.tighten ? bound : s == 0 ? std::max(dst, bound) : std::min(dst, bound);
        if (void* e = s == 0 ? t.export_lower : t.export_upper) {
          std::memcpy(static_cast<float*>(e) + c.slots[r] * at.elements, row,
                      static_cast<std::size_t>(at.elements) * sizeof(float));
        }
      }
    });
  }
}

}  // namespace bf
