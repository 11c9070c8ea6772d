// The fast CROWN backward kernel of Conv (linear_fast_kernels.h).
#include "runtime/compiled/backward_conv_kernel.h"

#include <fmt/format.h>
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <set>

#include "kernels/dnnl_engine.h"
#include "kernels/rowwise_gemm.h"
#include "runtime/compiled/linear_fast_util.h"
#include "runtime/compiled/prepared_store.h"
#include "support/error.h"
#include "support/row_parallel.h"

namespace bf {
namespace {

using namespace fast_linear;

// Conv (group 1): A_in is the transposed convolution of A_out. Rows covering
// the whole image use the layer's padding and land on the whole input; window
// rows use no padding, land on the window the kernel reaches
// (linear_geometry.h), and have the entries outside the input image zeroed.
// Four ways, chosen per layer and geometry in the constructor (by measurement):
//   - gather: a seed row (one-hot) picks a row of the dense matrix T;
//   - columns / by offset: rowwise_gemm products with W, added back at each
//     kernel offset (windows, and whole images of few input channels);
//   - dense T: small windows as one product with T;
//   - oneDNN backward-data convolutions with the rows as images (the rest).

class BackwardConvKernel final : public CompiledKernel {
 public:
  BackwardConvKernel(const PlanBundle& plan, const TaskOp& op) {
    const Graph& g = *plan.graph;
    const Node& node = g.node(op.node);
    const Shape& xs = g.type(node.inputs[0]).shape;
    const Shape& ys = g.type(node.outputs[0]).shape;
    const auto& attrs = node.attrs;
    const auto& k = attrs.get_ints("kernel_shape");
    const auto& st = attrs.get_ints("strides");
    const auto& pads = attrs.get_ints("pads");
    const auto& dil = attrs.get_ints("dilations");
    cin_ = xs[1];
    cout_ = ys[1];
    kh_ = k[0];
    kw_ = k[1];
    stride_ = {st[0], st[1]};
    dil_ = {dil[0] - 1, dil[1] - 1};
    PreparedStore& store = PreparedStore::global();
    const Tensor& wt = g.constant(node.inputs[1]);
    w_ = store.get(wt, "f32", [&] { return floats_of(wt); });
    if (node.inputs.size() > 2 && node.inputs[2] != kNoValue) {
      const Tensor& bt = g.constant(node.inputs[2]);
      b_ = store.get(bt, "f32", [&] { return floats_of(bt); });
    }
    out_ = geo_of(plan, op.reads.at(0));
    in_ = geo_of(plan, op.writes.at(0));
    accumulate_ = op.accumulate.at(0);
    whole_ = out_.w.full();
    if (whole_) {
      // The layer's own geometry: the whole output image back onto the whole input.
      src_hw_ = {xs[2], xs[3]};
      dst_hw_ = {ys[2], ys[3]};
      pad_l_ = {pads[0], pads[1]};
      pad_r_ = {pads[2], pads[3]};
      natural_ = whole_value_window(xs);
    } else {
      // The window the kernel reaches, as computed (not yet cropped to the image:
      // window_through_sliding would make a window covering it the whole image).
      natural_ = whole_value_window(xs);
      natural_.win_h = (out_.w.win_h - 1) * st[0] + (kh_ - 1) * dil[0] + 1;
      natural_.win_w = (out_.w.win_w - 1) * st[1] + (kw_ - 1) * dil[1] + 1;
      natural_.scale_h = out_.w.scale_h * st[0];
      natural_.scale_w = out_.w.scale_w * st[1];
      natural_.shift_h = out_.w.shift_h * st[0] - pads[0];
      natural_.shift_w = out_.w.shift_w * st[1] - pads[1];
      dst_hw_ = {out_.w.win_h, out_.w.win_w};
      src_hw_ = {natural_.win_h, natural_.win_w};
      pad_l_ = pad_r_ = {0, 0};
    }
    natural_elements_ = cin_ * src_hw_[0] * src_hw_[1];
    direct_ = !accumulate_ && natural_ == in_.w;
    batch_ = plan.config.batch;
    const SweepInfo& sweep = plan.sweeps.at(static_cast<std::size_t>(op.start));
    rows_cap_ = sweep.rows_per_chunk;
    // Small windows: the transposed convolution restricted to the window is one
    // dense matrix T (the same for every row), and the rows go through one matrix
    // product; T holds (window growth) times the kernel's multiply-adds, which
    // pays while the window is small against oneDNN's per-image cost. A seed row
    // (one-hot at the start) just picks a row of T.
    const std::int64_t p_out = dst_hw_[0] * dst_hw_[1], p_in = src_hw_[0] * src_hw_[1];
    seeded_ = !whole_ && p_out == 1 && spec_of(plan, op.reads.at(0)).value == sweep.value;
    // Through columns (im2col's transpose): A_out's positions times W as one
    // matrix product, each product then added into its kernel's place. Exact
    // multiply-adds (T multiplies the zeros of its sparse rows too) and one
    // large product where oneDNN runs many tiny convolutions: windows, and
    // whole images with few input channels (2.6-17 GFLOP/s on cnn_cifar).
    // By measurement on cnn_cifar (ms per run, oneDNN or T -> columns): 3x3 ->
    // 8x8 windows of 32 channels 200 -> 129, 4x4 -> 6x6 of 64 88 -> 58; but
    // 6x6 -> 14x14 windows of 32 channels 92 -> 126: the columns' adds
    // (positions x cin kh kw per row) outgrow the saving there.
    // Few output channels (resnet_small's 8) make every product too small to
    // pay: those keep oneDNN and T (7.7 against 10.5 ms per run there).
    im2col_ = !seeded_ && cout_ >= 16 && dil[0] == 1 && dil[1] == 1 &&
              (cin_ <= 4 || (!whole_ && p_out * cin_ * kh_ * kw_ <= 8192));
    // Few input channels at stride 1: the product the other way round, one row
    // at a time (C[ci kh kw, positions] = W^T A_out), so that each kernel
    // offset's contributions land as whole lines of the natural row (cnn_cifar's
    // 3-channel windows 134 + 100 -> 140 ms per run, whole images 78 -> 26).
    by_offset_ = im2col_ && st[0] == 1 && st[1] == 1;
    if (by_offset_) {
      const std::int64_t n = cin_ * kh_ * kw_;
      wt_ = store.get(wt, "transposed f32", [&] {
        std::vector<float> t(static_cast<std::size_t>(n * cout_));
        for (std::int64_t co = 0; co < cout_; ++co) {
          for (std::int64_t k = 0; k < n; ++k)
            t[static_cast<std::size_t>(k * cout_ + co)] = (*w_)[static_cast<std::size_t>(co * n + k)];
        }
        return t;
      });
      scratch_bytes_ = staging_bytes() + align(packed_b_floats(cout_, p_out) * 4) + align(n * p_out * 4);
      return;
    }
    if (im2col_) {
      const std::int64_t n = cin_ * kh_ * kw_;
      // W [cout, cin kh kw] row-major is already the product's right operand.
      packed_w_ = store.get(wt, "im2col panels", [&] {
        std::vector<float> packed(static_cast<std::size_t>(packed_b_floats(cout_, n)));
        pack_b(w_->data(), n, cout_, n, nullptr, packed.data());
        return packed;
      });
      // Rows go through in groups whose columns fit in about 4 MiB.
      group_rows_ = std::clamp<std::int64_t>((std::int64_t{1} << 20) / std::max<std::int64_t>(1, p_out * n), 1,
                                             std::max<std::int64_t>(1, rows_cap_));
      scratch_bytes_ = staging_bytes() + align(group_rows_ * p_out * cout_ * 4) + align(group_rows_ * p_out * n * 4);
      return;
    }
    dense_t_ = !whole_ && p_in <= 8 * kh_ * kw_ && cout_ * p_out * cin_ * p_in <= (std::int64_t{4} << 20);
    if (seeded_ || dense_t_) {
      // T depends on the window and the layer's strides: shared per (W, geometry).
      const std::string geometry = fmt::format("{}x{} to {}x{} stride {},{} dilation {},{}", dst_hw_[0], dst_hw_[1],
                                               src_hw_[0], src_hw_[1], st[0], st[1], dil[0], dil[1]);
      if (seeded_) {
        t_ = store.get(wt, "transposed conv " + geometry,
                       [&] { return build_t(p_out, p_in, st[0], st[1], dil[0], dil[1]); });
      } else {
        // Multiplied, never gathered: only the packed copy is kept.
        packed_t_ = store.get(wt, "transposed conv panels " + geometry, [&] {
          const std::vector<float> t = build_t(p_out, p_in, st[0], st[1], dil[0], dil[1]);
          const std::int64_t rows_t = cout_ * p_out;
          std::vector<float> packed(static_cast<std::size_t>(packed_b_floats(rows_t, natural_elements_)));
          pack_b(t.data(), natural_elements_, rows_t, natural_elements_, nullptr, packed.data());
          return packed;
        });
      }
      scratch_bytes_ = staging_bytes();
      return;
    }
    // Primitives for a ladder of image counts (a chunk runs with the smallest that holds its rows).
    for (std::int64_t m = rows_cap_; m >= 1; m = (m + 1) / 2) {
      levels_.push_back(m);
      if (m == 1) break;
    }
    std::sort(levels_.begin(), levels_.end());
    levels_.erase(std::unique(levels_.begin(), levels_.end()), levels_.end());
    for (std::int64_t m : levels_) build(m);
  }

  std::string name() const override {
    if (seeded_) return "backward_conv[window:gather]";
    if (by_offset_) return fmt::format("backward_conv[{}:by_offset]", whole_ ? "whole" : "window");
    if (im2col_) return fmt::format("backward_conv[{}:columns]", whole_ ? "whole" : "window");
    if (dense_t_) return "backward_conv[window:dense_gemm]";
    return fmt::format("backward_conv[{}{}]", whole_ ? "whole" : "window", impl_.empty() ? "" : ":" + impl_);
  }
  std::int64_t scratch_bytes() const override { return scratch_bytes_; }
  std::int64_t prepared_bytes() const override {
    std::int64_t bytes = 0;
    std::set<dnnl_memory_t> seen;
    for (const auto& [m, p] : prims_) {
      if (seen.insert(p.weights.get()).second) bytes += static_cast<std::int64_t>(p.weights.get_desc().get_size());
    }
    return bytes;
  }
  std::vector<PreparedFloats> shared_prepared() const override { return {w_, b_, t_, packed_t_, packed_w_, wt_}; }

  void run(const KernelIO& io) override {
    const SweepChunk& c = *io.chunk;
    if (c.rows == 0) return;
    for (int s : sides_of(c)) {
      const float* ao = side_ptr(io.inputs[0].lower, io.inputs[0].upper, s);
      float* ai = side_ptr(io.outputs[0].lower, io.outputs[0].upper, s);
      float* bias = side_ptr(io.outputs[1].lower, io.outputs[1].upper, s);
      if (by_offset_) {
        through_offsets(ao, ai, io.scratch, c);
      } else if (im2col_) {
        through_columns(ao, ai, io.scratch, c);
      } else if (seeded_ || dense_t_) {
        through_t(ao, ai, io.scratch, c);
      } else {
        convolve(level_for(c.rows), ao, ai, io.scratch, c);
      }
      if (b_) add_bias(ao, bias, c);
    }
  }

 private:
  struct Prim {
    dnnl::convolution_backward_data prim;
    dnnl::memory::desc diff_dst, diff_src, scratchpad;  // the layouts the primitive runs in
    dnnl::memory::desc plain_dst, plain_src;            // ours: rows as NCHW images
    dnnl::memory weights;
    std::int64_t dst_offset = 0, src_offset = 0, pad_offset = 0;  // in the scratch (blocked copies, scratchpad)
  };

  std::int64_t level_for(std::int64_t rows) const { return *std::lower_bound(levels_.begin(), levels_.end(), rows); }

  // The rows' layout is NCHW; oneDNN's fast direct kernels want blocked
  // channels, so A goes through a reorder on the way in and out when the
  // primitive picks another layout.
  void build(std::int64_t m) {
    using namespace dnnl;
    using tag = memory::format_tag;
    const memory::dims src = {m, cin_, src_hw_[0], src_hw_[1]};
    const memory::dims dst = {m, cout_, dst_hw_[0], dst_hw_[1]};
    const memory::dims wdims = {cout_, cin_, kh_, kw_};
    const memory::desc src_plain(src, memory::data_type::f32, tag::nchw);
    const memory::desc dst_plain(dst, memory::data_type::f32, tag::nchw);
    const memory::desc src_md(src, memory::data_type::f32, tag::any);
    const memory::desc dst_md(dst, memory::data_type::f32, tag::any);
    const memory::desc w_any(wdims, memory::data_type::f32, tag::any);
    primitive_attr attr;
    attr.set_scratchpad_mode(scratchpad_mode::user);
    engine& eng = dnnl_cpu_engine();
    const convolution_forward::desc fwd_d(prop_kind::forward_training, algorithm::convolution_direct, src_md, w_any,
                                          dst_md, stride_, dil_, pad_l_, pad_r_);
    const convolution_forward::primitive_desc fwd_pd(fwd_d, attr, eng);
    const convolution_backward_data::desc bwd_d(algorithm::convolution_direct, src_md, w_any, dst_md, stride_, dil_,
                                                pad_l_, pad_r_);
    const convolution_backward_data::primitive_desc pd(bwd_d, attr, eng, fwd_pd);
    Prim p{convolution_backward_data(pd),
           pd.diff_dst_desc(),
           pd.diff_src_desc(),
           pd.scratchpad_desc(),
           dst_plain,
           src_plain,
           memory()};
    // The levels' primitives usually want the same weight layout: one copy.
    for (const auto& [other_m, other] : prims_) {
      if (other.weights.get_desc() == pd.weights_desc()) p.weights = other.weights;
    }
    if (!p.weights) {
      p.weights = memory(pd.weights_desc(), eng);
      memory user_w({wdims, memory::data_type::f32, tag::oihw}, eng, const_cast<float*>(w_->data()));
      reorder(user_w, p.weights).execute(dnnl_cpu_stream(), user_w, p.weights);
      dnnl_cpu_stream().wait();
    }
    std::int64_t at = direct_ ? 0 : align(m * natural_elements_ * static_cast<std::int64_t>(sizeof(float)));
    if (p.diff_dst != dst_plain) {
      p.dst_offset = at;
      at += align(static_cast<std::int64_t>(p.diff_dst.get_size()));
    }
    if (p.diff_src != src_plain) {
      p.src_offset = at;
      at += align(static_cast<std::int64_t>(p.diff_src.get_size()));
    }
    p.pad_offset = at;
    at += static_cast<std::int64_t>(p.scratchpad.get_size());
    scratch_bytes_ = std::max(scratch_bytes_, at);
    impl_ = pd.impl_info_str();
    prims_.emplace(m, std::move(p));
  }

  static std::int64_t align(std::int64_t bytes) { return (bytes + 63) / 64 * 64; }

  // m images (the chunk's rows, and up to m - rows unused ones) of A_out at `ao`
  // through the transposed convolution into `ai`.
  void convolve(std::int64_t m, const float* ao, float* ai, void* scratch, const SweepChunk& c) {
    using namespace dnnl;
    Prim& p = prims_.at(m);
    engine& eng = dnnl_cpu_engine();
    stream& strm = dnnl_cpu_stream();
    char* base = static_cast<char*>(scratch);
    float* dst = direct_ ? ai : reinterpret_cast<float*>(base);
    memory plain_dst(p.plain_dst, eng, const_cast<float*>(ao));
    memory plain_src(p.plain_src, eng, dst);
    memory diff_dst = p.diff_dst == p.plain_dst ? plain_dst : memory(p.diff_dst, eng, base + p.dst_offset);
    memory diff_src = p.diff_src == p.plain_src ? plain_src : memory(p.diff_src, eng, base + p.src_offset);
    memory pad(p.scratchpad, eng, base + p.pad_offset);
    if (p.diff_dst != p.plain_dst) reorder(plain_dst, diff_dst).execute(strm, plain_dst, diff_dst);
    p.prim.execute(strm, {{DNNL_ARG_DIFF_DST, diff_dst},
                          {DNNL_ARG_WEIGHTS, p.weights},
                          {DNNL_ARG_DIFF_SRC, diff_src},
                          {DNNL_ARG_SCRATCHPAD, pad}});
    if (p.diff_src != p.plain_src) reorder(diff_src, plain_src).execute(strm, diff_src, plain_src);
    strm.wait();
    finish_rows(dst, natural_elements_, ai, c);
  }

  // T[(co, po), (ci, pi)] = W[co, ci, kh, kw] where input position pi is output
  // position po times the stride plus the kernel offset (kh, kw) times the dilation.
  std::vector<float> build_t(std::int64_t p_out, std::int64_t p_in, std::int64_t sh, std::int64_t sw, std::int64_t dh,
                             std::int64_t dw) const {
    const std::int64_t cols = cin_ * p_in;
    std::vector<float> t(static_cast<std::size_t>(cout_ * p_out * cols), 0.0f);
    for (std::int64_t co = 0; co < cout_; ++co) {
      for (std::int64_t i = 0; i < dst_hw_[0]; ++i) {
        for (std::int64_t j = 0; j < dst_hw_[1]; ++j) {
          float* row = t.data() + (co * p_out + i * dst_hw_[1] + j) * cols;
          for (std::int64_t ci = 0; ci < cin_; ++ci) {
            for (std::int64_t a = 0; a < kh_; ++a) {
              for (std::int64_t b = 0; b < kw_; ++b) {
                const std::int64_t hi = i * sh + a * dh, wi = j * sw + b * dw;
                row[ci * p_in + hi * src_hw_[1] + wi] =
                    (*w_)[static_cast<std::size_t>(((co * cin_ + ci) * kh_ + a) * kw_ + b)];
              }
            }
          }
        }
      }
    }
    return t;
  }

  // Rows through T: gathered (seeds) or multiplied; then masked or scattered.
  void through_t(const float* ao, float* ai, void* scratch, const SweepChunk& c) {
    const std::int64_t k = out_.elements;  // rows of T
    float* dst_all = direct_ ? ai : static_cast<float*>(scratch);
    const std::int64_t dst_stride = direct_ ? in_.elements : natural_elements_;
    float* dst = dst_all;
    if (seeded_) {
      const std::int64_t image = out_.w.height * out_.w.width;
      for (std::int64_t r = 0; r < c.rows; ++r) {
        const std::int64_t channel = c.neurons[r] / image;
        std::memcpy(dst + r * dst_stride, t_->data() + channel * natural_elements_,
                    static_cast<std::size_t>(natural_elements_) * sizeof(float));
      }
    } else {
      rowwise_gemm(c.rows, k, natural_elements_, ao, k, packed_t_->data(), dst, dst_stride, false);
    }
    finish_rows(dst, dst_stride, ai, c);
  }

  // Rows through columns, a group at a time: X[r p, co] = A_out[r, co, p]
  // (positions major), C = X W ([r p, ci kh kw]), and every C[r p, ci, a, :]
  // added into the natural row at its input position (kw runs, one per
  // (ci, a)). Each element of C is one fused multiply-add chain over co in
  // ascending order and the adds run in a fixed order: a row's bits do not
  // depend on the rows beside it (a memory cap's chunks change nothing).
  void through_columns(const float* ao, float* ai, void* scratch, const SweepChunk& c) {
    const std::int64_t p_out = dst_hw_[0] * dst_hw_[1], n = cin_ * kh_ * kw_;
    const std::int64_t src_h = src_hw_[0], src_w = src_hw_[1];
    const std::int64_t sh = stride_[0], sw = stride_[1];
    const std::int64_t ph = pad_l_[0], pw = pad_l_[1];
    char* base = static_cast<char*>(scratch);
    const std::int64_t staging = staging_bytes();
    auto* x = reinterpret_cast<float*>(base + staging);
    auto* col = reinterpret_cast<float*>(base + staging + align(group_rows_ * p_out * cout_ * 4));
    float* dst_all = direct_ ? ai : reinterpret_cast<float*>(base);
    const std::int64_t dst_stride = direct_ ? in_.elements : natural_elements_;
    for (std::int64_t r0 = 0; r0 < c.rows; r0 += group_rows_) {
      const std::int64_t g = std::min(group_rows_, c.rows - r0);
      for_each_row(g, p_out * cout_, [&](std::int64_t r) {
        const float* src = ao + (r0 + r) * out_.elements;
        float* xr = x + r * p_out * cout_;
        for (std::int64_t co = 0; co < cout_; ++co) {
          for (std::int64_t p = 0; p < p_out; ++p) xr[p * cout_ + co] = src[co * p_out + p];
        }
      });
      rowwise_gemm(g * p_out, cout_, n, x, cout_, packed_w_->data(), col, n, false);
      for_each_row(g, natural_elements_, [&](std::int64_t r) {
        float* nat = dst_all + (r0 + r) * dst_stride;
        std::memset(nat, 0, static_cast<std::size_t>(natural_elements_) * sizeof(float));
        for (std::int64_t i = 0; i < dst_hw_[0]; ++i) {
          for (std::int64_t j = 0; j < dst_hw_[1]; ++j) {
            const float* cp = col + ((r * dst_hw_[0] + i) * dst_hw_[1] + j) * n;
            const std::int64_t w0 = j * sw - pw;
            // Kernel columns inside the row: b in [b0, b1).
            const std::int64_t b0 = std::max<std::int64_t>(0, -w0), b1 = std::min(kw_, src_w - w0);
            if (b0 >= b1) continue;
            for (std::int64_t ci = 0; ci < cin_; ++ci) {
              for (std::int64_t a = 0; a < kh_; ++a) {
                const std::int64_t h = i * sh + a - ph;
                if (h < 0 || h >= src_h) continue;
                add_short(nat + (ci * src_h + h) * src_w + w0 + b0, cp + (ci * kh_ + a) * kw_ + b0, b1 - b0);
              }
            }
          }
        }
      });
    }
    finish_rows(dst_all, dst_stride, ai, c);
  }

  // Rows one at a time (stride 1, no dilation): C = W^T A_out, [ci kh kw,
  // positions], then for every kernel offset (ci, a, b) and output line i
  // the line C[(ci, a, b), i, :] added into the natural row at (ci, i + a -
  // pad, b - pad): contiguous runs. Each element of C is one fused
  // multiply-add chain over co in ascending order; rows are independent.
  void through_offsets(const float* ao, float* ai, void* scratch, const SweepChunk& c) {
    const std::int64_t p_out = dst_hw_[0] * dst_hw_[1], n = cin_ * kh_ * kw_;
    const std::int64_t src_h = src_hw_[0], src_w = src_hw_[1], dst_h = dst_hw_[0], dst_w = dst_hw_[1];
    const std::int64_t ph = pad_l_[0], pw = pad_l_[1];
    char* base = static_cast<char*>(scratch);
    const std::int64_t staging = staging_bytes();
    auto* packed = reinterpret_cast<float*>(base + staging);
    auto* col = reinterpret_cast<float*>(base + staging + align(packed_b_floats(cout_, p_out) * 4));
    float* dst_all = direct_ ? ai : reinterpret_cast<float*>(base);
    const std::int64_t dst_stride = direct_ ? in_.elements : natural_elements_;
    for (std::int64_t r = 0; r < c.rows; ++r) {
      pack_b(ao + r * out_.elements, p_out, cout_, p_out, nullptr, packed);
      rowwise_gemm(n, cout_, p_out, wt_->data(), cout_, packed, col, p_out, false);
      float* nat = dst_all + r * dst_stride;
      std::memset(nat, 0, static_cast<std::size_t>(natural_elements_) * sizeof(float));
      for (std::int64_t ci = 0; ci < cin_; ++ci) {
        for (std::int64_t a = 0; a < kh_; ++a) {
          for (std::int64_t b = 0; b < kw_; ++b) {
            const float* cl = col + ((ci * kh_ + a) * kw_ + b) * p_out;
            // Output columns j whose input column j + b - pw lies inside.
            const std::int64_t j0 = std::max<std::int64_t>(0, pw - b);
            const std::int64_t j1 = std::min<std::int64_t>(dst_w, src_w + pw - b);
            if (j0 >= j1) continue;
            for (std::int64_t i = 0; i < dst_h; ++i) {
              const std::int64_t h = i + a - ph;
              if (h < 0 || h >= src_h) continue;
              add_short(nat + (ci * src_h + h) * src_w + j0 + b - pw, cl + i * dst_w + j0, j1 - j0);
            }
          }
        }
      }
    }
    finish_rows(dst_all, dst_stride, ai, c);
  }

  // The natural rows (`stride` apart from `rows`) made final: masked to the
  // image in place (direct windows), or added into their target rows in `ai`.
  void finish_rows(float* rows, std::int64_t stride, float* ai, const SweepChunk& c) const {
    for_each_row(c.rows, in_.elements, [&](std::int64_t r) {
      float* nat = rows + r * stride;
      if (direct_) {
        if (!whole_) mask_outside(nat, row_origin(natural_, c.start, c.neurons[r]));
      } else {
        scatter_add(nat, ai + r * in_.elements, c, r);
      }
    });
  }

  // Bytes at the start of the scratch where rows are made when they cannot be
  // made in place (an accumulating or differently windowed target).
  std::int64_t staging_bytes() const { return direct_ ? 0 : align(rows_cap_ * natural_elements_ * 4); }

  // Zeroes the entries of a natural-window row outside the input image.
  void mask_outside(float* row, RowOrigin o) const {
    if (inside(natural_, o)) return;
    const std::int64_t wh = natural_.win_h, ww = natural_.win_w;
    for (std::int64_t ch = 0; ch < cin_; ++ch) {
      for (std::int64_t i = 0; i < wh; ++i) {
        float* line = row + (ch * wh + i) * ww;
        const Run run = run_of(natural_, o, i);
        if (run.j1 <= run.j0) {
          std::memset(line, 0, static_cast<std::size_t>(ww) * sizeof(float));
          continue;
        }
        std::fill(line, line + run.j0, 0.0f);
        std::fill(line + run.j1, line + ww, 0.0f);
      }
    }
  }

  // Adds a natural-window row into its target row (another window, or the whole input).
  void scatter_add(const float* nat, float* target, const SweepChunk& c, std::int64_t r) const {
    const RowOrigin no = whole_ ? RowOrigin{0, 0} : row_origin(natural_, c.start, c.neurons[r]);
    const RowOrigin to = row_origin(in_.w, c.start, c.neurons[r]);
    const std::int64_t nh = natural_.win_h, nw = natural_.win_w, th = in_.w.win_h, tw = in_.w.win_w;
    if (!accumulate_) std::memset(target, 0, static_cast<std::size_t>(in_.elements) * sizeof(float));
    for (std::int64_t ch = 0; ch < cin_; ++ch) {
      for (std::int64_t i = 0; i < nh; ++i) {
        const std::int64_t h = no.h + i;
        if (h < 0 || h >= natural_.height) continue;
        const std::int64_t ti = h - to.h;
        BF_ASSERT(ti >= 0 && ti < th);
        for (std::int64_t j = 0; j < nw; ++j) {
          const std::int64_t w = no.w + j;
          if (w < 0 || w >= natural_.width) continue;
          const std::int64_t tj = w - to.w;
          target[(ch * th + ti) * tw + tj] += nat[(ch * nh + i) * nw + j];
        }
      }
    }
  }

  // bias += sum over channels of b[co] * (the row's A_out summed over that channel).
  void add_bias(const float* ao, float* bias, const SweepChunk& c) const {
    const std::int64_t plane = out_.elements / cout_;
    for (std::int64_t r = 0; r < c.rows; ++r) {
      const float* row = ao + r * out_.elements;
      float acc = 0.0f;
      for (std::int64_t co = 0; co < cout_; ++co)
        acc += sum(row + co * plane, plane) * (*b_)[static_cast<std::size_t>(co)];
      bias[r] += acc;
    }
  }

  std::int64_t cin_ = 0, cout_ = 0, kh_ = 0, kw_ = 0, batch_ = 1, rows_cap_ = 0;
  dnnl::memory::dims stride_, dil_, pad_l_, pad_r_, src_hw_, dst_hw_;
  PreparedFloats w_, b_;  // W [cout, cin, kh, kw] and b as f32, shared (prepared_store.h)
  Geo out_, in_;
  LinearWindow natural_;
  std::int64_t natural_elements_ = 0;
  bool accumulate_ = false, whole_ = false, direct_ = false, seeded_ = false, dense_t_ = false, im2col_ = false;
  PreparedFloats packed_w_;  // W [cout, cin kh kw] in rowwise_gemm panels (through columns)
  PreparedFloats wt_;        // W^T [cin kh kw, cout] (through offsets)
  bool by_offset_ = false;
  std::int64_t group_rows_ = 1;  // rows per column product
  PreparedFloats t_;             // T row-major, for gathering seed rows
  PreparedFloats packed_t_;      // T in rowwise_gemm panels, for multiplying
  std::vector<std::int64_t> levels_;
  std::map<std::int64_t, Prim> prims_;
  std::int64_t scratch_bytes_ = 0;
  std::string impl_;
};

}  // namespace

std::unique_ptr<CompiledKernel> make_backward_conv_kernel(const PlanBundle& plan, const TaskOp& op) {
  return std::make_unique<BackwardConvKernel>(plan, op);
}

}  // namespace bf
