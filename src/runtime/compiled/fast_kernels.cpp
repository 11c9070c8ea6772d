#include "runtime/compiled/fast_kernels.h"

#include <fmt/format.h>

#include <cstring>

#include "kernels/interval/interval_affine.h"
#include "kernels/interval/interval_conv.h"

namespace bf {
namespace {

std::string with_epilogue(std::string base, const Epilogue& e) {
  if (e.kind != Epilogue::None) base += std::string("+") + epilogue_name(e.kind);
  return base;
}

// A prepared fast kernel (IntervalAffineF32 or IntervalConvF32) behind the
// CompiledKernel interface; both run one activation in, one out.
template <typename Impl>
class FastKernel final : public CompiledKernel {
 public:
  FastKernel(std::string kind, Impl impl, Epilogue e) : kind_(std::move(kind)), k_(std::move(impl)), epilogue_(e) {}
  // The kernel's variant names its plane layouts when they are not NCHW.
  std::string name() const override { return with_epilogue(fmt::format("{}[{}]", kind_, k_.variant()), epilogue_); }
  std::int64_t scratch_bytes() const override { return k_.scratch_bytes(); }
  std::int64_t prepared_bytes() const override { return k_.prepared_bytes(); }
  void run(const KernelIO& io) override {
    k_.run(static_cast<const float*>(io.inputs[0].lower), static_cast<const float*>(io.inputs[0].upper),
           static_cast<float*>(io.outputs[0].lower), static_cast<float*>(io.outputs[0].upper), io.scratch);
  }

 private:
  std::string kind_;
  Impl k_;
  Epilogue epilogue_;
};

class ActivationKernel final : public CompiledKernel {
 public:
  ActivationKernel(Epilogue e, std::int64_t n) : epilogue_(e), n_(n) {}
  std::string name() const override { return fmt::format("activation[{}]", epilogue_name(epilogue_.kind)); }
  std::int64_t scratch_bytes() const override { return 0; }
  void run(const KernelIO& io) override {
    for (int plane = 0; plane < 2; ++plane) {
      const auto* src = static_cast<const float*>(plane == 0 ? io.inputs[0].lower : io.inputs[0].upper);
      auto* dst = static_cast<float*>(plane == 0 ? io.outputs[0].lower : io.outputs[0].upper);
      if (dst != src) std::memcpy(dst, src, static_cast<std::size_t>(n_) * sizeof(float));
      apply_epilogue(epilogue_, dst, n_);
    }
  }

 private:
  Epilogue epilogue_;
  std::int64_t n_;
};

}  // namespace

std::unique_ptr<CompiledKernel> make_affine_kernel(const AffineForm& form, std::int64_t batch, Epilogue epilogue) {
  IntervalAffineF32 impl(form.weight, form.bias ? &*form.bias : nullptr, batch * form.rows_per_sample, epilogue);
  return std::make_unique<FastKernel<IntervalAffineF32>>("interval_affine", std::move(impl), epilogue);
}

std::unique_ptr<CompiledKernel> make_conv_kernel(const Graph& graph, const Node& node, std::int64_t batch,
                                                 Epilogue epilogue, bool nhwc_in, bool nhwc_out) {
  const Tensor* bias = node.inputs.size() > 2 && node.inputs[2] != kNoValue ? &graph.constant(node.inputs[2]) : nullptr;
  using Layout = IntervalConvF32::PlaneLayout;
  IntervalConvF32 impl(node.attrs, graph.type(node.inputs[0]).shape, batch, graph.constant(node.inputs[1]), bias,
                       epilogue, IntervalConvF32::Formats::Auto, nhwc_in ? Layout::NHWC : Layout::NCHW,
                       nhwc_out ? Layout::NHWC : Layout::NCHW);
  return std::make_unique<FastKernel<IntervalConvF32>>("interval_conv", std::move(impl), epilogue);
}

std::unique_ptr<CompiledKernel> make_activation_kernel(Epilogue epilogue, std::int64_t plane_elements) {
  return std::make_unique<ActivationKernel>(epilogue, plane_elements);
}

}  // namespace bf
