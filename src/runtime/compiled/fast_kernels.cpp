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

class AffineKernel final : public CompiledKernel {
 public:
  AffineKernel(const AffineForm& f, std::int64_t batch, Epilogue e)
      : k_(f.weight, f.bias ? &*f.bias : nullptr, batch * f.rows_per_sample, e), epilogue_(e) {}
  std::string name() const override {
    return with_epilogue(fmt::format("interval_affine[{}]", k_.variant()), epilogue_);
  }
  std::int64_t scratch_bytes() const override { return k_.scratch_bytes(); }
  std::int64_t prepared_bytes() const override { return k_.prepared_bytes(); }
  void run(const KernelIO& io) override {
    k_.run(static_cast<const float*>(io.inputs[0].lower), static_cast<const float*>(io.inputs[0].upper),
           static_cast<float*>(io.outputs[0].lower), static_cast<float*>(io.outputs[0].upper), io.scratch);
  }

 private:
  IntervalAffineF32 k_;
  Epilogue epilogue_;
};

class ConvKernel final : public CompiledKernel {
 public:
  ConvKernel(const Graph& g, const Node& node, std::int64_t batch, Epilogue e)
      : k_(node.attrs, g.type(node.inputs[0]).shape, batch, g.constant(node.inputs[1]),
           node.inputs.size() > 2 && node.inputs[2] != kNoValue ? &g.constant(node.inputs[2]) : nullptr, e),
        epilogue_(e) {}
  std::string name() const override { return with_epilogue(fmt::format("interval_conv[{}]", k_.variant()), epilogue_); }
  std::int64_t scratch_bytes() const override { return k_.scratch_bytes(); }
  std::int64_t prepared_bytes() const override { return k_.prepared_bytes(); }
  void run(const KernelIO& io) override {
    k_.run(static_cast<const float*>(io.inputs[0].lower), static_cast<const float*>(io.inputs[0].upper),
           static_cast<float*>(io.outputs[0].lower), static_cast<float*>(io.outputs[0].upper), io.scratch);
  }

 private:
  IntervalConvF32 k_;
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
  return std::make_unique<AffineKernel>(form, batch, epilogue);
}

std::unique_ptr<CompiledKernel> make_conv_kernel(const Graph& graph, const Node& node, std::int64_t batch,
                                                 Epilogue epilogue) {
  return std::make_unique<ConvKernel>(graph, node, batch, epilogue);
}

std::unique_ptr<CompiledKernel> make_activation_kernel(Epilogue epilogue, std::int64_t plane_elements) {
  return std::make_unique<ActivationKernel>(epilogue, plane_elements);
}

}  // namespace bf
