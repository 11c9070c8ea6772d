// CROWN's exported input coefficients: each output row's A at the graph input.
// At a point region they are the rows' gradients (the attacks' reverse pass):
// checked against central differences of the f64 forward pass; over a box the
// rows' linear bounds hold (checked at sampled points).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "methods/bound_method.h"
#include "runtime/forward_executor.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

std::vector<double> forward(const Graph& g, const std::vector<double>& x) {
  Tensor t(DType::F64, {static_cast<std::int64_t>(x.size())});
  std::copy(x.begin(), x.end(), t.mutable_data<double>());
  ForwardOptions fo;
  fo.compute = DType::F64;
  return run_forward(g, {t}, fo)[0].to_double_vector();
}

TEST(InputCoefficients, AtAPointTheyAreTheGradients) {
  for (auto make : {+[] { return test::mlp_chain(3, {9, 7}, 5); }, &test::s_shaped_mlp, &test::conv_chain}) {
    auto g = make();
    const std::int64_t n_in = numel(g->type(g->inputs()[0]).shape);
    const std::int64_t n_out = numel(g->type(g->outputs()[0]).shape);
    std::mt19937 rng(4);
    std::uniform_real_distribution<double> d(-1.0, 1.0);
    std::vector<double> x(static_cast<std::size_t>(n_in));
    for (auto& v : x) v = d(rng);
    for (ExecutorKind ex : {ExecutorKind::Reference, ExecutorKind::Compiled}) {
      for (DType dtype : {DType::F64, DType::F32}) {
        if (ex == ExecutorKind::Compiled && dtype == DType::F64) continue;
        BoundRequest req;
        req.graph = g;
        req.region = linf_ball(x, 0.0, g->type(g->inputs()[0]).shape, dtype);
        req.export_input_coefficients = true;
        req.executor = ex;
        const BoundResult r = make_bound_method("crown-ibp")->compute(req);
        ASSERT_EQ(r.coeff_lower.numel(), n_out * n_in);
        const auto a = r.coeff_lower.to_double_vector();
        const double h = 1e-6;
        for (std::int64_t j = 0; j < n_in; ++j) {
          std::vector<double> xp = x, xm = x;
          xp[static_cast<std::size_t>(j)] += h;
          xm[static_cast<std::size_t>(j)] -= h;
          const auto yp = forward(*g, xp), ym = forward(*g, xm);
          for (std::int64_t i = 0; i < n_out; ++i) {
            const double fd = (yp[static_cast<std::size_t>(i)] - ym[static_cast<std::size_t>(i)]) / (2 * h);
            const double tol = dtype == DType::F64 ? 1e-5 : 1e-3;
            EXPECT_NEAR(a[static_cast<std::size_t>(i * n_in + j)], fd, tol * (1 + std::fabs(fd)))
                << g->name << " " << executor_kind_name(ex) << " " << dtype_name(dtype) << " output " << i << " input "
                << j;
          }
        }
      }
    }
  }
}

// Several points in one batch: each sample's rows get that sample's gradient
// (layout [batch, rows, inputs]; the attacks read it so), on both executors.
TEST(InputCoefficients, BatchedPointsGetTheirOwnGradients) {
  auto g = test::mlp_chain(3, {9, 7}, 5);
  const std::int64_t n_in = numel(g->type(g->inputs()[0]).shape);
  const std::int64_t n_out = numel(g->type(g->outputs()[0]).shape), batch = 4;
  std::mt19937 rng(8);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(batch * n_in));
  for (auto& v : x) v = d(rng);
  for (ExecutorKind ex : {ExecutorKind::Reference, ExecutorKind::Compiled}) {
    BoundRequest req;
    req.graph = g;
    req.region = input_box(x, x, g->type(g->inputs()[0]).shape, DType::F32);
    req.export_input_coefficients = true;
    req.executor = ex;
    const BoundResult r = make_bound_method("crown-ibp")->compute(req);
    ASSERT_EQ(r.coeff_lower.numel(), batch * n_out * n_in);
    const auto a = r.coeff_lower.to_double_vector();
    const double h = 1e-6;
    for (std::int64_t b = 0; b < batch; ++b) {
      const std::vector<double> xb(x.begin() + b * n_in, x.begin() + (b + 1) * n_in);
      for (std::int64_t j = 0; j < n_in; ++j) {
        std::vector<double> xp = xb, xm = xb;
        xp[static_cast<std::size_t>(j)] += h;
        xm[static_cast<std::size_t>(j)] -= h;
        const auto yp = forward(*g, xp), ym = forward(*g, xm);
        for (std::int64_t i = 0; i < n_out; ++i) {
          const double fd = (yp[static_cast<std::size_t>(i)] - ym[static_cast<std::size_t>(i)]) / (2 * h);
          EXPECT_NEAR(a[static_cast<std::size_t>((b * n_out + i) * n_in + j)], fd, 1e-3 * (1 + std::fabs(fd)))
              << executor_kind_name(ex) << " sample " << b << " output " << i << " input " << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace bf
