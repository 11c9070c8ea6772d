// beta-CROWN through the planned program (methods/branch_bounds.h) on small
// random graphs the test generates (convolutions, residual Adds, AveragePool,
// MaxPool, a first Affine into a Reshape) over a two-input box, where a dense
// grid gives the truth:
//   - every domain's bound holds at every grid point that meets its splits,
//     for any alpha and beta the caller proposes (the program clamps them into
//     range), with and without Adam steps and tightened intermediate bounds;
//   - the sound f64 program's bounds hold on the grid, and a domain it finds
//     infeasible has no grid point;
//   - splits do tighten: some domain's bound beats the whole box's.
// And on an MLP wide enough that the per-row steps share rows among threads:
// one thread or two, scores asked for or not (reruns then leave the score
// steps out), the same bits.
#include "methods/branch_bounds.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "bound/input_region.h"
#include "methods/bound_method.h"
#include "runtime/forward_executor.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

const std::vector<double> kLower{-1.0, -1.0}, kUpper{1.0, 1.0};

BoundRequest request_of(std::shared_ptr<const Graph> g, const Tensor& spec, DType dtype, bool sound) {
  BoundRequest r;
  r.graph = std::move(g);
  r.spec = spec.cast(dtype);
  r.region = input_box(kLower, kUpper, {1, 2}, dtype, dtype == DType::F32);
  r.sound_fp = sound;
  r.export_intermediates = true;
  if (dtype == DType::F64) r.executor = ExecutorKind::Reference;
  return r;
}

// The grid's values: every ReLU input and the spec rows, per point, in f64.
struct Grid {
  std::vector<std::vector<double>> z;  // per ReLU input value: points x elements
  std::vector<std::int64_t> z_numel;
  std::vector<double> rows;  // points x spec rows
  std::int64_t points = 0;
};

Grid evaluate_grid(const Graph& g, const std::vector<ValueId>& relu_inputs, const Tensor& spec, int n) {
  Graph probe = g;
  for (ValueId v : relu_inputs) probe.add_output(v);
  Grid grid;
  grid.points = static_cast<std::int64_t>(n) * n;
  Tensor xs(DType::F64, {grid.points, 2});
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      xs.mutable_data<double>()[2 * (i * n + j)] = -1.0 + 2.0 * i / (n - 1);
      xs.mutable_data<double>()[2 * (i * n + j) + 1] = -1.0 + 2.0 * j / (n - 1);
    }
  }
  ForwardOptions fo;
  fo.compute = DType::F64;
  fo.batch = grid.points;
  const std::vector<Tensor> out = run_forward(probe, {xs}, fo);
  const auto y = out[0].to_double_vector();
  const auto c = spec.to_double_vector();
  const std::int64_t m = spec.shape()[0], k = spec.shape()[1];
  grid.rows.assign(static_cast<std::size_t>(grid.points * m), 0.0);
  for (std::int64_t p = 0; p < grid.points; ++p)
    for (std::int64_t r = 0; r < m; ++r)
      for (std::int64_t j = 0; j < k; ++j)
        grid.rows[static_cast<std::size_t>(p * m + r)] +=
            c[static_cast<std::size_t>(r * k + j)] * y[static_cast<std::size_t>(p * k + j)];
  for (std::size_t i = 0; i < relu_inputs.size(); ++i) {
    grid.z.push_back(out[i + 1].to_double_vector());
    grid.z_numel.push_back(g.type(relu_inputs[i]).numel());
  }
  return grid;
}

// Domains of these splits, each bounding `rows` with its own parameters (domain after domain).
std::vector<BranchDomain> domains_of(std::vector<std::vector<BranchSplit>>& splits,
                                     const std::vector<std::int64_t>& rows, std::vector<std::vector<float>>& params) {
  std::vector<BranchDomain> doms(splits.size());
  for (std::size_t d = 0; d < splits.size(); ++d) {
    doms[d].splits = &splits[d];
    doms[d].rows = &rows;
    for (std::size_t r = 0; r < rows.size(); ++r) doms[d].params.push_back(&params[d * rows.size() + r]);
  }
  return doms;
}

TEST(BranchBounds, BoundsHoldOnEveryGridPointOfTheDomainOnRandomGraphs) {
  const Tensor spec = Tensor::from_vector<float>({3, 3}, {1, -1, 0, 0, 1, -1, 1, 0, 0});
  int checked = 0, domains_with_points = 0, tighter = 0, infeasible_claims = 0, graphs = 0;
  for (unsigned seed = 1; seed <= 12; ++seed) {
    auto g = test::random_residual_conv(seed);
    SCOPED_TRACE(g->name);
    // Root bounds: CROWN's (f32 for the search, sound f64 for the proofs).
    const BoundResult root32 = make_bound_method("crown")->compute(request_of(g, spec, DType::F32, false));
    const BoundResult root64 = make_bound_method("crown")->compute(request_of(g, spec, DType::F64, true));
    BranchBounds search(request_of(g, spec, DType::F32, false), root32.intermediates, 8);
    BranchBounds sound(request_of(g, spec, DType::F64, true), root64.intermediates, 4);
    const auto& unstable = search.unstable();
    if (unstable.size() < 2) continue;
    ++graphs;
    std::vector<ValueId> relu_inputs;
    for (const auto& nu : unstable) {
      if (std::find(relu_inputs.begin(), relu_inputs.end(), nu.value) == relu_inputs.end())
        relu_inputs.push_back(nu.value);
    }
    const Grid grid = evaluate_grid(*g, relu_inputs, spec, 61);
    auto z_at = [&](std::int64_t p, const BranchNeuron& nu) {
      const auto i =
          static_cast<std::size_t>(std::find(relu_inputs.begin(), relu_inputs.end(), nu.value) - relu_inputs.begin());
      return grid.z[i][static_cast<std::size_t>(p * grid.z_numel[i] + nu.element)];
    };
    std::mt19937 rng(seed * 101);
    std::uniform_real_distribution<float> alpha(-0.5f, 1.5f);
    std::normal_distribution<float> beta(0.0f, 1.0f);
    // Domains: splits on a grid point's side (feasible) or random (maybe not).
    std::vector<std::vector<BranchSplit>> splits(8);
    for (std::size_t d = 0; d < splits.size(); ++d) {
      const std::int64_t p = static_cast<std::int64_t>(rng() % static_cast<unsigned>(grid.points));
      const std::size_t k = 1 + rng() % std::min<std::size_t>(4, unstable.size());
      for (std::size_t s = 0; s < k; ++s) {
        const auto u = static_cast<std::int32_t>(rng() % unstable.size());
        std::int8_t sign = z_at(p, unstable[static_cast<std::size_t>(u)]) >= 0.0 ? 1 : -1;
        if (d % 4 == 3) sign = rng() % 2 == 0 ? 1 : -1;
        splits[d].push_back({u, sign});
      }
    }
    const std::vector<std::int64_t> rows{0, 1, 2};
    for (int variant = 0; variant < 4; ++variant) {
      const bool tighten = variant >= 2;
      const int iterations = variant % 2 == 1 ? 5 : 0;
      std::vector<std::vector<float>> params(splits.size() * rows.size(),
                                             std::vector<float>(static_cast<std::size_t>(search.params_per_row())));
      for (auto& p : params) {
        for (std::size_t i = 0; i < unstable.size(); ++i) {
          p[i] = rng() % 4 == 0 ? std::numeric_limits<float>::quiet_NaN() : alpha(rng);
          p[unstable.size() + i] = beta(rng);
        }
      }
      std::vector<BranchDomain> doms = domains_of(splits, rows, params);
      BranchBoundOptions o;
      o.iterations = iterations;
      o.tighten = tighten;
      const BranchBoundResult r = search.bound(doms, o);
      BranchBoundOptions so;
      so.tighten = tighten;
      const BranchBoundResult s = sound.bound(std::vector<BranchDomain>(doms.begin(), doms.begin() + 4), so);
      for (std::size_t d = 0; d < splits.size(); ++d) {
        // The least value of each row over the grid points that meet the splits.
        std::vector<double> least(rows.size(), std::numeric_limits<double>::infinity());
        std::int64_t inside = 0;
        for (std::int64_t p = 0; p < grid.points; ++p) {
          bool meets = true;
          for (const auto& sp : splits[d])
            meets = meets && sp.sign * z_at(p, unstable[static_cast<std::size_t>(sp.neuron)]) >= 0.0;
          if (!meets) continue;
          ++inside;
          for (std::size_t k = 0; k < rows.size(); ++k)
            least[k] = std::min(least[k], grid.rows[static_cast<std::size_t>(p * 3) + k]);
        }
        domains_with_points += inside > 0;
        if (tighten && r.infeasible[d]) ++infeasible_claims;
        if (tighten && d < 4 && s.infeasible[d]) {
          EXPECT_EQ(inside, 0) << "the sound program calls a domain with grid points infeasible";
        }
        for (std::size_t k = 0; k < rows.size(); ++k) {
          if (inside == 0) continue;
          const double b = r.lower[d * rows.size() + k];
          EXPECT_LE(b, least[k] + 1e-4 * (1.0 + std::fabs(least[k]))) << "variant " << variant << " domain " << d;
          if (d < 4 && !(tighten && s.infeasible[d])) {
            EXPECT_LE(s.lower[d * rows.size() + k], least[k] + 1e-9 * (1.0 + std::fabs(least[k])));
          }
          const double whole = root32.outputs[0].lower.to_double_vector()[k];
          tighter += b > whole + 1e-6;
          ++checked;
        }
      }
    }
  }
  EXPECT_GE(graphs, 8);
  EXPECT_GT(checked, 500);
  EXPECT_GT(domains_with_points, 100);
  EXPECT_GT(tighter, 50) << "splits and beta never tightened a bound";
  std::printf("graphs %d, rows checked %d, tighter than the box %d, infeasible claims %d\n", graphs, checked, tighter,
              infeasible_claims);
}

TEST(BranchBounds, ThreadsAndLeftOutScoreStepsChangeNoBit) {
  const Tensor spec = Tensor::from_vector<float>({3, 3}, {1, -1, 0, 0, 1, -1, 1, 0, 0});
  auto g = test::mlp_chain(2, {512}, 2);
  const BoundResult root = make_bound_method("crown")->compute(request_of(g, spec, DType::F32, false));
  BranchBounds search(request_of(g, spec, DType::F32, false), root.intermediates, 32);
  ASSERT_GE(search.unstable().size(), 8u);
  ASSERT_EQ(search.domains_per_call(), 32);
  // 32 domains of 3 rows: 96 rows of 512 elements, past kRowParallelElements.
  const std::vector<std::int64_t> rows{0, 1, 2};
  std::vector<std::vector<BranchSplit>> splits(32);
  std::mt19937 rng(5);
  for (auto& sp : splits) {
    for (int k = 0; k < 3; ++k)
      sp.push_back({static_cast<std::int32_t>(rng() % search.unstable().size()),
                    rng() % 2 == 0 ? std::int8_t{1} : std::int8_t{-1}});
  }
  auto run = [&](int threads, bool scores) {
    std::vector<std::vector<float>> params(
        splits.size() * rows.size(),
        std::vector<float>(static_cast<std::size_t>(search.params_per_row()), std::numeric_limits<float>::quiet_NaN()));
    for (auto& p : params) std::fill(p.begin() + static_cast<std::ptrdiff_t>(search.unstable().size()), p.end(), 0.0f);
    std::vector<BranchDomain> doms = domains_of(splits, rows, params);
    BranchBoundOptions o;
    o.iterations = 4;
    o.scores = scores;
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    BranchBoundResult r = search.bound(doms, o);
    omp_set_num_threads(before);
    return std::make_pair(std::move(r), std::move(params));
  };
  const auto [one, p1] = run(1, true);
  const auto [two, p2] = run(2, true);
  const auto [unscored, p3] = run(2, false);
  ASSERT_EQ(one.lower.size(), 96u);
  EXPECT_EQ(one.lower, two.lower);
  EXPECT_EQ(one.lower, unscored.lower);
  EXPECT_EQ(one.scores, two.scores);
  // Bit for bit (the parameters keep NaN where CROWN's line stands).
  auto same_bits = [](const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
        return false;
    }
    return true;
  };
  EXPECT_TRUE(same_bits(p1, p2));
  EXPECT_TRUE(same_bits(p1, p3));
  EXPECT_TRUE(unscored.scores.empty());
  EXPECT_TRUE(std::any_of(one.scores.begin(), one.scores.end(), [](float v) { return v != 0.0f; }));
}

}  // namespace
}  // namespace bf
