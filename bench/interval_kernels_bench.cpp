// Micro-benchmarks of the fast f32 interval kernels (src/kernels/interval/) against
// the reference rule (bf::ibp_eval_op) on the same data, for the layer shapes of the
// golden networks: mlp_256x2 (784-256-256-10) and cnn_cifar (4 Conv + 2 Linear).
// Every layer is followed by a ReLU: fused into the fast kernel, a second
// ibp_eval_op call for the reference. Chains time whole IBP passes built from the
// fast kernels alone (no executor), as a floor for the compiled executor;
// cnn_cifar_nhwc keeps the bound planes NHWC between its four convolutions (no
// transposes at those three boundaries), the executor's layout choice.
//
//   OMP_NUM_THREADS=1 build/<dir>/bench/bf_bench_interval_kernels
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "bound/interval_ops.h"
#include "ir/shape_inference.h"
#include "kernels/interval/interval_affine.h"
#include "kernels/interval/interval_conv.h"

namespace bf {
namespace {

using Ints = std::vector<std::int64_t>;

struct Free {
  void operator()(void* p) const { std::free(p); }
};
using Aligned = std::unique_ptr<float, Free>;

Aligned aligned_floats(std::int64_t n) {
  const auto bytes = static_cast<std::size_t>((std::max<std::int64_t>(n, 1) * 4 + 63) / 64 * 64);
  return Aligned(static_cast<float*>(std::aligned_alloc(64, bytes)));
}

std::unique_ptr<char, Free> scratch_of(std::int64_t bytes) {
  const auto n = static_cast<std::size_t>((std::max<std::int64_t>(bytes, 1) + 63) / 64 * 64);
  return std::unique_ptr<char, Free>(static_cast<char*>(std::aligned_alloc(64, n)));
}

Tensor random_tensor(Shape shape, std::uint32_t seed, double scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-scale, scale);
  Tensor t(DType::F32, std::move(shape));
  for (std::int64_t i = 0; i < t.numel(); ++i) t.mutable_data<float>()[i] = static_cast<float>(d(rng));
  return t;
}

// Input planes of a box around random centres.
struct Planes {
  Aligned lower, upper;
  explicit Planes(std::int64_t n, std::uint32_t seed = 1) : lower(aligned_floats(n)), upper(aligned_floats(n)) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> c(-1.0f, 1.0f), r(0.0f, 0.05f);
    for (std::int64_t i = 0; i < n; ++i) {
      const float cc = c(rng), rr = r(rng);
      lower.get()[i] = cc - rr;
      upper.get()[i] = cc + rr;
    }
  }
};

// The reference: ibp_eval_op(layer) then ibp_eval_op(Relu), with its scratch.
class ReferencePair {
 public:
  ReferencePair(Node layer, Shape x_shape, Tensor w, Tensor b, std::int64_t batch)
      : layer_(std::move(layer)), x_shape_(std::move(x_shape)), w_(std::move(w)), b_(std::move(b)), batch_(batch) {
    const TensorType xt{DType::F32, x_shape_}, wt{DType::F32, w_.shape()}, bt{DType::F32, b_.shape()};
    out_shape_ = infer_output_types(layer_.op, layer_.attrs, {&xt, &wt, &bt}).at(0).shape;
    ops_.resize(3);
    ops_[0].shape = &x_shape_;
    ops_[1] = IbpOperand{true, {}, &w_, &w_.shape(), true};
    ops_[2] = IbpOperand{true, {}, &b_, &b_.shape(), true};
    relu_ = Node{OpKind::Relu, "relu", {}, {1}, {2}};
    relu_ops_.resize(1);
    relu_ops_[0].shape = &out_shape_;
    const Shape* shapes[] = {&out_shape_};
    scratch_bytes_ = std::max(ibp_scratch_bytes(layer_, ops_, shapes, DType::F32, batch_),
                              ibp_scratch_bytes(relu_, relu_ops_, shapes, DType::F32, batch_));
    scratch_ = scratch_of(scratch_bytes_);
  }
  std::int64_t out_elems() const { return batch_ * numel(out_shape_); }

  void run(const float* lo, const float* hi, float* pre_lo, float* pre_hi, float* out_lo, float* out_hi) {
    const Shape* shapes[] = {&out_shape_};
    ops_[0].bounds = {lo, hi};
    IntervalOut pre{pre_lo, pre_hi};
    IbpScratch s1(scratch_.get(), scratch_bytes_);
    ibp_eval_op(layer_, ops_, std::span<const IntervalOut>(&pre, 1), shapes, DType::F32, batch_, cache_, s1);
    relu_ops_[0].bounds = {pre_lo, pre_hi};
    IntervalOut out{out_lo, out_hi};
    IbpScratch s2(scratch_.get(), scratch_bytes_);
    ibp_eval_op(relu_, relu_ops_, std::span<const IntervalOut>(&out, 1), shapes, DType::F32, batch_, cache_, s2);
  }

 private:
  Node layer_, relu_;
  Shape x_shape_, out_shape_;
  Tensor w_, b_;
  std::int64_t batch_;
  std::vector<IbpOperand> ops_, relu_ops_;
  AbsWeightCache cache_;
  std::int64_t scratch_bytes_ = 0;
  std::unique_ptr<char, Free> scratch_;
};

// ---------------------------------------------------------------- Affine

enum class Impl { Fast, Gemv, Matmul, Reference };

void BM_Affine(benchmark::State& state, std::int64_t k, std::int64_t n, std::int64_t m, Impl impl) {
  const Tensor w = random_tensor({n, k}, 1, 1.0 / std::sqrt(static_cast<double>(k)));
  const Tensor b = random_tensor({n}, 2, 0.1);
  Planes in(m * k);
  Aligned out_lo = aligned_floats(m * n), out_hi = aligned_floats(m * n);
  if (impl == Impl::Reference) {
    ReferencePair ref(Node{OpKind::Affine, "affine", {}, {1, 2, 3}, {4}}, {k}, w, b, m);
    Aligned pre_lo = aligned_floats(m * n), pre_hi = aligned_floats(m * n);
    for (auto _ : state) {
      ref.run(in.lower.get(), in.upper.get(), pre_lo.get(), pre_hi.get(), out_lo.get(), out_hi.get());
      benchmark::ClobberMemory();
    }
  } else {
    const auto variant = impl == Impl::Gemv     ? IntervalAffineF32::Variant::Gemv
                         : impl == Impl::Matmul ? IntervalAffineF32::Variant::Matmul
                                                : IntervalAffineF32::Variant::Auto;
    const IntervalAffineF32 kernel(w, &b, m, Epilogue::relu(), variant);
    auto scratch = scratch_of(kernel.scratch_bytes());
    state.SetLabel(kernel.variant());
    state.counters["scratch_KiB"] = static_cast<double>(kernel.scratch_bytes()) / 1024;
    state.counters["prepared_KiB"] = static_cast<double>(kernel.prepared_bytes()) / 1024;
    for (auto _ : state) {
      kernel.run(in.lower.get(), in.upper.get(), out_lo.get(), out_hi.get(), scratch.get());
      benchmark::ClobberMemory();
    }
  }
  // Two products (W.c and |W|.r) of M x K x N multiply-adds each.
  state.counters["GFLOP/s"] =
      benchmark::Counter(4.0 * static_cast<double>(m * k * n), benchmark::Counter::kIsIterationInvariantRate);
}

// ---------------------------------------------------------------- Conv

struct ConvLayer {
  const char* name;
  std::int64_t c, hw, oc, kernel, stride, pad;
};
// The four convolutions of cnn_cifar.
constexpr ConvLayer kCifar[] = {{"conv3x32_3x3_32px", 3, 32, 32, 3, 1, 1},
                                {"conv32x32_4x4s2_32px", 32, 32, 32, 4, 2, 1},
                                {"conv32x64_3x3_16px", 32, 16, 64, 3, 1, 1},
                                {"conv64x64_4x4s2_16px", 64, 16, 64, 4, 2, 1}};

Attributes conv_attrs(const ConvLayer& l) {
  Attributes a;
  a.set("kernel_shape", Ints{l.kernel, l.kernel});
  a.set("strides", Ints{l.stride, l.stride});
  a.set("pads", Ints{l.pad, l.pad, l.pad, l.pad});
  a.set("dilations", Ints{1, 1});
  a.set("group", std::int64_t{1});
  return a;
}

// NhwcPlanes: ChannelsLast formats with NHWC bound planes in and out (an inner layer
// of an NHWC chain).
enum class ConvImpl { Fast, ChannelsLast, NhwcPlanes, Plain, Reordered, Reference };

void BM_Conv(benchmark::State& state, ConvLayer l, std::int64_t batch, ConvImpl impl) {
  const Shape x_shape{1, l.c, l.hw, l.hw};
  const Tensor w =
      random_tensor({l.oc, l.c, l.kernel, l.kernel}, 3, 1.0 / std::sqrt(double(l.c * l.kernel * l.kernel)));
  const Tensor b = random_tensor({l.oc}, 4, 0.1);
  Planes in(batch * numel(x_shape));
  const std::int64_t ohw = (l.hw + 2 * l.pad - l.kernel) / l.stride + 1;
  const std::int64_t out_n = batch * l.oc * ohw * ohw;
  Aligned out_lo = aligned_floats(out_n), out_hi = aligned_floats(out_n);
  if (impl == ConvImpl::Reference) {
    ReferencePair ref(Node{OpKind::Conv, "conv", conv_attrs(l), {1, 2, 3}, {4}}, x_shape, w, b, batch);
    Aligned pre_lo = aligned_floats(out_n), pre_hi = aligned_floats(out_n);
    for (auto _ : state) {
      ref.run(in.lower.get(), in.upper.get(), pre_lo.get(), pre_hi.get(), out_lo.get(), out_hi.get());
      benchmark::ClobberMemory();
    }
  } else {
    const auto formats = impl == ConvImpl::Plain          ? IntervalConvF32::Formats::Plain
                         : impl == ConvImpl::Reordered    ? IntervalConvF32::Formats::OneDnnChoice
                         : impl == ConvImpl::ChannelsLast ? IntervalConvF32::Formats::ChannelsLast
                         : impl == ConvImpl::NhwcPlanes   ? IntervalConvF32::Formats::ChannelsLast
                                                          : IntervalConvF32::Formats::Auto;
    const auto planes =
        impl == ConvImpl::NhwcPlanes ? IntervalConvF32::PlaneLayout::NHWC : IntervalConvF32::PlaneLayout::NCHW;
    const IntervalConvF32 kernel(conv_attrs(l), x_shape, batch, w, &b, Epilogue::relu(), formats, planes, planes);
    auto scratch = scratch_of(kernel.scratch_bytes());
    state.SetLabel(kernel.variant());
    state.counters["scratch_KiB"] = static_cast<double>(kernel.scratch_bytes()) / 1024;
    state.counters["prepared_KiB"] = static_cast<double>(kernel.prepared_bytes()) / 1024;
    for (auto _ : state) {
      kernel.run(in.lower.get(), in.upper.get(), out_lo.get(), out_hi.get(), scratch.get());
      benchmark::ClobberMemory();
    }
  }
  const double macs = static_cast<double>(batch * l.oc * ohw * ohw * l.c * l.kernel * l.kernel);
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
}

// ---------------------------------------------------------------- whole networks

// A chain of fast kernels, each writing the planes the next one reads (ping-pong).
class Chain {
 public:
  void add_affine(std::int64_t k, std::int64_t n, std::int64_t rows, bool relu) {
    affine_.emplace_back(random_tensor({n, k}, 5, 1.0 / std::sqrt(double(k))), nullptr, rows,
                         relu ? Epilogue::relu() : Epilogue::none());
    steps_.push_back({false, affine_.size() - 1, rows * k, rows * n});
  }
  void add_conv(const ConvLayer& l, std::int64_t batch,
                IntervalConvF32::PlaneLayout in_layout = IntervalConvF32::PlaneLayout::NCHW,
                IntervalConvF32::PlaneLayout out_layout = IntervalConvF32::PlaneLayout::NCHW) {
    const Tensor w =
        random_tensor({l.oc, l.c, l.kernel, l.kernel}, 6, 1.0 / std::sqrt(double(l.c * l.kernel * l.kernel)));
    const Tensor b = random_tensor({l.oc}, 7, 0.1);
    conv_.emplace_back(conv_attrs(l), Shape{1, l.c, l.hw, l.hw}, batch, w, &b, Epilogue::relu(),
                       IntervalConvF32::Formats::Auto, in_layout, out_layout);
    steps_.push_back({true, conv_.size() - 1, batch * l.c * l.hw * l.hw, batch * numel(conv_.back().output_shape())});
  }
  void prepare() {
    std::int64_t planes = 0, scratch = 0;
    for (const auto& s : steps_) planes = std::max({planes, s.in, s.out});
    for (const auto& a : affine_) scratch = std::max(scratch, a.scratch_bytes());
    for (const auto& c : conv_) scratch = std::max(scratch, c.scratch_bytes());
    a_ = std::make_unique<Planes>(planes);
    b_ = std::make_unique<Planes>(planes);
    scratch_ = scratch_of(scratch);
  }
  void run() {
    Planes* in = a_.get();
    Planes* out = b_.get();
    for (const auto& s : steps_) {
      if (s.conv) {
        conv_[s.index].run(in->lower.get(), in->upper.get(), out->lower.get(), out->upper.get(), scratch_.get());
      } else {
        affine_[s.index].run(in->lower.get(), in->upper.get(), out->lower.get(), out->upper.get(), scratch_.get());
      }
      std::swap(in, out);
    }
  }

 private:
  struct Step {
    bool conv;
    std::size_t index;
    std::int64_t in, out;
  };
  std::vector<IntervalAffineF32> affine_;
  std::vector<IntervalConvF32> conv_;
  std::vector<Step> steps_;
  std::unique_ptr<Planes> a_, b_;
  std::unique_ptr<char, Free> scratch_;
};

void BM_Mlp256x2(benchmark::State& state, std::int64_t batch) {
  Chain chain;
  chain.add_affine(784, 256, batch, true);
  chain.add_affine(256, 256, batch, true);
  chain.add_affine(256, 10, batch, false);
  chain.prepare();
  for (auto _ : state) chain.run();
}

void BM_CnnCifar(benchmark::State& state, std::int64_t batch, bool nhwc_between_convs) {
  using Layout = IntervalConvF32::PlaneLayout;
  Chain chain;
  const std::size_t convs = std::size(kCifar);
  for (std::size_t i = 0; i < convs; ++i) {
    // NCHW at the chain's ends (the network input, the flattening before the Linear).
    const bool nhwc_in = nhwc_between_convs && i > 0, nhwc_out = nhwc_between_convs && i + 1 < convs;
    chain.add_conv(kCifar[i], batch, nhwc_in ? Layout::NHWC : Layout::NCHW, nhwc_out ? Layout::NHWC : Layout::NCHW);
  }
  chain.add_affine(4096, 512, batch, true);
  chain.add_affine(512, 10, batch, false);
  chain.prepare();
  for (auto _ : state) chain.run();
}

void register_all() {
  const std::pair<std::int64_t, std::int64_t> dims[] = {{784, 256}, {256, 256}};
  for (auto [k, n] : dims) {
    for (std::int64_t m : {1, 2, 3, 4, 5, 8, 64}) {
      const std::string base = "Affine/" + std::to_string(k) + "x" + std::to_string(n) + "/M" + std::to_string(m);
      const std::pair<const char*, Impl> impls[] = {
          {"/fast", Impl::Fast}, {"/gemv", Impl::Gemv}, {"/matmul", Impl::Matmul}, {"/reference", Impl::Reference}};
      for (auto [suffix, impl] : impls) {
        if (m != 1 && m != 64 && impl == Impl::Reference) continue;  // gemv/matmul threshold tuning only
        benchmark::RegisterBenchmark((base + suffix).c_str(), BM_Affine, k, n, m, impl)->Unit(benchmark::kMicrosecond);
      }
    }
  }
  for (const auto& l : kCifar) {
    for (std::int64_t batch : {1, 64}) {
      const std::string base = std::string("Conv/") + l.name + "/B" + std::to_string(batch);
      const std::pair<const char*, ConvImpl> impls[] = {
          {"/fast", ConvImpl::Fast},  {"/nhwc", ConvImpl::ChannelsLast},   {"/nhwc_planes", ConvImpl::NhwcPlanes},
          {"/nchw", ConvImpl::Plain}, {"/reordered", ConvImpl::Reordered}, {"/reference", ConvImpl::Reference}};
      for (auto [suffix, impl] : impls) {
        benchmark::RegisterBenchmark((base + suffix).c_str(), BM_Conv, l, batch, impl)->Unit(benchmark::kMicrosecond);
      }
    }
  }
  for (std::int64_t batch : {1, 64}) {
    benchmark::RegisterBenchmark(("Chain/mlp_256x2/B" + std::to_string(batch)).c_str(), BM_Mlp256x2, batch)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("Chain/cnn_cifar/B" + std::to_string(batch)).c_str(), BM_CnnCifar, batch, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("Chain/cnn_cifar_nhwc/B" + std::to_string(batch)).c_str(), BM_CnnCifar, batch, true)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace bf

int main(int argc, char** argv) {
  bf::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
