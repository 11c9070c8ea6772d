// The rounding account's magnitudes (bound/rounding/rounding_account.h): R of
// a convolution must be at least |W| M + |b| per element, computed here in
// quad precision, and within a rounding-sized inflation of it (stride,
// padding, dilation and groups, in f32 and f64). One account for a whole batch
// (AccountArgs::batch_max) must be the same for every sample and at least
// each sample's own, on both planes, for a convolution and a relaxed Relu. A
// Flatten's R is its input's magnitudes, exactly.
#include "bound/rounding/rounding_account.h"

#include <gtest/gtest.h>
#include <quadmath.h>

#include <random>
#include <vector>

#include "ir/graph.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

struct Made {
  std::shared_ptr<Graph> g;
  Tensor w, b;
};

Made conv_graph(std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t stride, std::int64_t pad,
                std::int64_t group, std::int64_t dilation, DType dtype, std::mt19937& rng) {
  Made m;
  m.g = std::make_shared<Graph>();
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  m.w = Tensor(dtype, {cout, cin / group, k, k});
  m.b = Tensor(dtype, {cout});
  auto fill = [&](Tensor& t) {
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      if (dtype == DType::F32) {
        t.mutable_data<float>()[i] = static_cast<float>(d(rng));
      } else {
        t.mutable_data<double>()[i] = d(rng);
      }
    }
  };
  fill(m.w);
  fill(m.b);
  const ValueId x = m.g->add_input("x", {dtype, {1, cin, 9, 8}});
  Attributes a = test::conv2d_attrs(k, stride, pad, group);
  a.set("dilations", std::vector<std::int64_t>{dilation, dilation});
  const ValueId y = m.g->add_inferred_node(OpKind::Conv, "conv", a,
                                           {x, m.g->add_constant("w", m.w), m.g->add_constant("b", m.b)}, {"y"})[0];
  m.g->add_output(y);
  return m;
}

template <typename T>
void check_conv(std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t stride, std::int64_t pad,
                std::int64_t group, std::int64_t dilation) {
  const DType dtype = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  std::mt19937 rng(static_cast<unsigned>(cin * 100 + cout * 10 + k + stride + pad + group + dilation));
  Made m = conv_graph(cin, cout, k, stride, pad, group, dilation, dtype, rng);
  const Graph& g = *m.g;
  const Node& node = g.node(0);
  const Shape& xs = g.type(node.inputs[0]).shape;
  const Shape& ys = g.type(node.outputs[0]).shape;
  const std::int64_t batch = 2, nx = numel(xs), ny = numel(ys);
  std::uniform_real_distribution<double> d(-3.0, 3.0);
  std::vector<T> lo(static_cast<std::size_t>(batch * nx)), hi(lo.size());
  for (std::size_t i = 0; i < lo.size(); ++i) {
    const double a = d(rng), b = d(rng);
    lo[i] = static_cast<T>(std::min(a, b));
    hi[i] = static_cast<T>(std::max(a, b));
  }
  std::vector<AccountOperand> ops(3);
  ops[0].ibp.bounds = {lo.data(), hi.data()};
  ops[0].ibp.shape = &xs;
  for (int i = 1; i < 3; ++i) {
    ops[static_cast<std::size_t>(i)].ibp.is_constant = true;
    ops[static_cast<std::size_t>(i)].ibp.constant = i == 1 ? &m.w : &m.b;
    ops[static_cast<std::size_t>(i)].ibp.shape = &(i == 1 ? m.w : m.b).shape();
  }
  std::vector<T> planes(static_cast<std::size_t>(2 * batch * (ny + 1)));
  AccountArgs args{node, g, ops, ys, dtype, batch, {}, {}, planes.data()};
  std::vector<char> scratch(static_cast<std::size_t>(account_scratch_bytes(args)));
  AbsWeightCache cache;
  account_node(args, cache, scratch.data(), static_cast<std::int64_t>(scratch.size()));

  const auto& w = m.w;
  const std::int64_t H = xs[2], W = xs[3], Ho = ys[2], Wo = ys[3], cg = cin / group, og = cout / group;
  for (std::int64_t s = 0; s < batch; ++s) {
    for (std::int64_t co = 0; co < cout; ++co) {
      for (std::int64_t ho = 0; ho < Ho; ++ho) {
        for (std::int64_t wo = 0; wo < Wo; ++wo) {
          __float128 exact = fabsq(static_cast<__float128>(static_cast<double>(m.b.template data<T>()[co])));
          for (std::int64_t ci = 0; ci < cg; ++ci) {
            for (std::int64_t kh = 0; kh < k; ++kh) {
              for (std::int64_t kw = 0; kw < k; ++kw) {
                const std::int64_t h = ho * stride - pad + kh * dilation, x = wo * stride - pad + kw * dilation;
                if (h < 0 || h >= H || x < 0 || x >= W) continue;
                const std::int64_t at = s * nx + ((co / og * cg + ci) * H + h) * W + x;
                const double mag = std::max(std::fabs(static_cast<double>(lo[static_cast<std::size_t>(at)])),
                                            std::fabs(static_cast<double>(hi[static_cast<std::size_t>(at)])));
                exact += fabsq(static_cast<__float128>(
                             static_cast<double>(w.template data<T>()[((co * cg + ci) * k + kh) * k + kw]))) *
                         mag;
              }
            }
          }
          const std::int64_t j = (co * Ho + ho) * Wo + wo;
          const double r = static_cast<double>(planes[static_cast<std::size_t>(s * (ny + 1) + j)]);
          EXPECT_GE(static_cast<__float128>(r), exact) << "sample " << s << " element " << j;
          EXPECT_LE(r, static_cast<double>(exact) * (1.0 + 1e-4) + 1e-30) << "sample " << s << " element " << j;
        }
      }
    }
  }
}

// The account of `node` (operand 0 an activation with bounds lo/hi, the rest
// constants) over `batch` samples: both planes, [2, batch, numel + 1].
template <typename T>
std::vector<T> account_of(const Graph& g, const Node& node, std::int64_t batch, std::vector<T>& lo, std::vector<T>& hi,
                          RelaxView relax, bool batch_max) {
  const Shape& ys = g.type(node.outputs[0]).shape;
  std::vector<AccountOperand> ops(node.inputs.size());
  ops[0].ibp.bounds = {lo.data(), hi.data()};
  ops[0].ibp.shape = &g.type(node.inputs[0]).shape;
  for (std::size_t i = 1; i < ops.size(); ++i) {
    ops[i].ibp.is_constant = true;
    ops[i].ibp.constant = &g.constant(node.inputs[i]);
    ops[i].ibp.shape = &g.constant(node.inputs[i]).shape();
  }
  std::vector<T> planes(static_cast<std::size_t>(2 * batch * (numel(ys) + 1)));
  const DType dtype = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  AccountArgs args{node, g, ops, ys, dtype, batch, relax, {}, planes.data(), batch_max};
  std::vector<char> scratch(static_cast<std::size_t>(account_scratch_bytes(args)));
  AbsWeightCache cache;
  account_node(args, cache, scratch.data(), static_cast<std::int64_t>(scratch.size()));
  return planes;
}

template <typename T>
void check_batch_account(const Graph& g, const Node& node, std::mt19937& rng, bool relaxed) {
  const std::int64_t batch = 3, nx = g.type(node.inputs[0]).numel(), ny = g.type(node.outputs[0]).numel();
  std::uniform_real_distribution<double> d(-3.0, 3.0), unit(0.0, 1.0);
  std::vector<T> lo(static_cast<std::size_t>(batch * nx)), hi(lo.size());
  for (std::size_t i = 0; i < lo.size(); ++i) {
    const double a = d(rng), b = d(rng);
    lo[i] = static_cast<T>(std::min(a, b));
    hi[i] = static_cast<T>(std::max(a, b));
  }
  std::vector<T> lines[4];
  RelaxView relax;
  if (relaxed) {
    for (auto& l : lines) l.resize(static_cast<std::size_t>(batch * ny));
    for (std::size_t i = 0; i < lines[0].size(); ++i) {
      lines[0][i] = static_cast<T>(unit(rng));
      lines[1][i] = T(0);
      lines[2][i] = static_cast<T>(unit(rng));
      lines[3][i] = static_cast<T>(2.0 * unit(rng));
    }
    relax = {lines[0].data(), lines[1].data(), lines[2].data(), lines[3].data()};
  }
  const std::vector<T> each = account_of<T>(g, node, batch, lo, hi, relax, false);
  const std::vector<T> one = account_of<T>(g, node, batch, lo, hi, relax, true);
  const std::int64_t row = ny + 1;
  for (std::int64_t p = 0; p < 2; ++p) {
    for (std::int64_t b = 0; b < batch; ++b) {
      for (std::int64_t j = 0; j < row; ++j) {
        const auto at = static_cast<std::size_t>((p * batch + b) * row + j);
        EXPECT_GE(one[at], each[at]) << op_name(node.op) << " plane " << p << " sample " << b << " element " << j;
        EXPECT_EQ(one[at], one[static_cast<std::size_t>(p * batch * row + j)]) << "sample " << b << " differs";
      }
    }
  }
}

TEST(RoundingAccount, OneAccountForTheBatchCoversEverySample) {
  std::mt19937 rng(5);
  for (DType dtype : {DType::F32, DType::F64}) {
    Made m = conv_graph(4, 6, 3, 2, 1, 2, 1, dtype, rng);
    if (dtype == DType::F32) {
      check_batch_account<float>(*m.g, m.g->node(0), rng, false);
    } else {
      check_batch_account<double>(*m.g, m.g->node(0), rng, false);
    }
  }
  Graph g;
  const ValueId x = g.add_input("x", {DType::F32, {1, 5, 4}});
  g.add_output(g.add_inferred_node(OpKind::Relu, "relu", {}, {x}, {"y"})[0]);
  check_batch_account<float>(g, g.node(0), rng, true);
}

// Flatten (MagnitudeRule::Copy) computes nothing: R is M, element by element.
TEST(RoundingAccount, FlattenMagnitudesAreTheInputs) {
  Graph g;
  const ValueId x = g.add_input("x", {DType::F32, {1, 3, 2, 2}});
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  g.add_output(g.add_inferred_node(OpKind::Flatten, "flatten", flat, {x}, {"y"})[0]);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-3.0f, 3.0f);
  const std::int64_t batch = 2, n = 12;
  std::vector<float> lo(static_cast<std::size_t>(batch * n)), hi(lo.size());
  for (std::size_t i = 0; i < lo.size(); ++i) {
    const float a = d(rng), b = d(rng);
    lo[i] = std::min(a, b);
    hi[i] = std::max(a, b);
  }
  const std::vector<float> planes = account_of<float>(g, g.node(0), batch, lo, hi, RelaxView{}, false);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(b * n + k);
      EXPECT_EQ(planes[static_cast<std::size_t>(b * (n + 1) + k)], std::max(std::fabs(lo[i]), std::fabs(hi[i])));
    }
  }
}

TEST(RoundingAccount, ConvMagnitudesBoundTheKernelSumTightly) {
  check_conv<float>(3, 4, 3, 1, 1, 1, 1);
  check_conv<float>(4, 6, 4, 2, 1, 1, 1);
  check_conv<float>(4, 6, 3, 1, 2, 2, 2);
  check_conv<double>(3, 4, 3, 2, 0, 1, 1);
  check_conv<double>(6, 6, 3, 1, 1, 3, 1);
}

}  // namespace
}  // namespace bf
