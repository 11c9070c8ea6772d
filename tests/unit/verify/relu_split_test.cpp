// ReLU-split branch and bound on small random ReLU networks with two inputs,
// where a dense grid gives the truth:
//   - beta-CROWN's bound of a subdomain holds at every grid point that
//     satisfies the subdomain's splits, for any alpha in [0, 1] and beta >= 0
//     (random ones, and the ones Adam reaches);
//   - an infeasible split set is pruned (its bound exceeds every value);
//   - the verifier's verdicts with --bab relu agree with the grid, and never
//     say unsat where a grid point violates the property;
//   - PGD inside a subdomain reaches points that meet its splits from a start
//     that misses them, and reports the margin the network has there;
//   - MIP-refined root bounds hold on the grid and nearly meet its extremes;
//   - the dense form of a network computes what the network computes, and a
//     network that is not affine layers and ReLUs is refused with its reason.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "frontend/vnnlib/vnnlib.h"
#include "runtime/forward_executor.h"
#include "support/error.h"
#include "support/test_paths.h"
#include "verify/beta_crown.h"
#include "verify/case_problem.h"
#include "verify/domain_attack.h"
#include "verify/mip_refine.h"
#include "verify/relu_network.h"
#include "verify/verifier.h"
#include "y0_property.h"

namespace bf {
namespace {

// x[1,2] -> (Affine -> Relu) x layers -> Affine -> y[1,3].
std::shared_ptr<Graph> random_graph(unsigned seed, std::int64_t hidden, int layers, OpKind act = OpKind::Relu) {
  auto g = std::make_shared<Graph>();
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.6f);
  std::vector<std::int64_t> widths{2};
  for (int l = 0; l < layers; ++l) widths.push_back(hidden);
  widths.push_back(3);
  ValueId x = g->add_input("x", {DType::F32, {1, 2}});
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const std::int64_t in = widths[l], out = widths[l + 1];
    Tensor wt(DType::F32, {out, in}), bt(DType::F32, {out});
    for (std::int64_t i = 0; i < out * in; ++i) wt.mutable_data<float>()[i] = dist(rng);
    for (std::int64_t i = 0; i < out; ++i) bt.mutable_data<float>()[i] = dist(rng);
    const std::string tag = std::to_string(l);
    ValueId wv = g->add_constant("w" + tag, wt);
    ValueId bv = g->add_constant("b" + tag, bt);
    x = g->add_inferred_node(OpKind::Affine, "fc" + tag, {}, {x, wv, bv}, {"h" + tag})[0];
    if (l + 2 < widths.size()) x = g->add_inferred_node(act, "act" + tag, {}, {x}, {"r" + tag})[0];
  }
  g->add_output(x);
  return g;
}

// One row per polytope: rows[r] . y <= 0, over [-1, 1]^2.
CaseProblem problem_of(const std::vector<std::vector<double>>& rows) {
  CaseProblem p;
  p.lower = {-1.0, -1.0};
  p.upper = {1.0, 1.0};
  p.num_outputs = 3;
  p.rows = rows;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    p.rhs.push_back(0.0);
    p.polytope_start.push_back(static_cast<std::int64_t>(r));
  }
  p.polytope_start.push_back(static_cast<std::int64_t>(rows.size()));
  return p;
}

struct ReluRootIntervals {
  std::vector<std::vector<float>> lo, hi;
};

// Interval bounds of every z_k over the box (sound root bounds for the test).
ReluRootIntervals interval_bounds(const ReluNetwork& net, const CaseProblem& p) {
  ReluRootIntervals r;
  std::vector<double> lo = p.lower, hi = p.upper;
  for (std::int64_t k = 0; k < net.relu_layers(); ++k) {
    const DenseLayer& l = net.layers[static_cast<std::size_t>(k)];
    std::vector<double> zl(static_cast<std::size_t>(l.out)), zh(static_cast<std::size_t>(l.out));
    for (std::int64_t o = 0; o < l.out; ++o) {
      double a = l.b[static_cast<std::size_t>(o)], b = a;
      for (std::int64_t i = 0; i < l.in; ++i) {
        const double w = l.w[static_cast<std::size_t>(o * l.in + i)];
        a += w > 0 ? w * lo[static_cast<std::size_t>(i)] : w * hi[static_cast<std::size_t>(i)];
        b += w > 0 ? w * hi[static_cast<std::size_t>(i)] : w * lo[static_cast<std::size_t>(i)];
      }
      // Widened a little: f32 storage of bounds must stay sound.
      zl[static_cast<std::size_t>(o)] = a - 1e-5 * (1 + std::fabs(a));
      zh[static_cast<std::size_t>(o)] = b + 1e-5 * (1 + std::fabs(b));
    }
    r.lo.emplace_back(zl.begin(), zl.end());
    r.hi.emplace_back(zh.begin(), zh.end());
    for (std::size_t i = 0; i < zl.size(); ++i) {
      zl[i] = std::max(0.0, zl[i]);
      zh[i] = std::max(0.0, zh[i]);
    }
    lo = zl;
    hi = zh;
  }
  return r;
}

// Pre-activations of every ReLU layer and the rows, at x, in f64.
void trace(const ReluNetwork& net, const double* x, std::vector<std::vector<double>>& z, std::vector<double>& rows) {
  std::vector<double> h(x, x + net.inputs());
  z.clear();
  for (std::size_t k = 0; k < net.layers.size(); ++k) {
    const DenseLayer& l = net.layers[k];
    std::vector<double> out(static_cast<std::size_t>(l.out));
    for (std::int64_t o = 0; o < l.out; ++o) {
      double s = l.b[static_cast<std::size_t>(o)];
      for (std::int64_t i = 0; i < l.in; ++i)
        s += static_cast<double>(l.w[static_cast<std::size_t>(o * l.in + i)]) * h[static_cast<std::size_t>(i)];
      out[static_cast<std::size_t>(o)] = s;
    }
    if (k + 1 == net.layers.size()) {
      rows = out;
      return;
    }
    z.push_back(out);
    for (double& v : out) v = std::max(0.0, v);
    h = out;
  }
}

TEST(BetaCrown, BoundHoldsOnEveryGridPointOfTheSubdomain) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  int checked_items = 0, feasible_points = 0;
  for (unsigned seed = 1; seed <= 6; ++seed) {
    auto g = random_graph(seed, 10, 2);
    const CaseProblem p = problem_of({{1, -1, 0}, {0, 1, -1}, {-1, 0, 1}});
    const ReluNetwork net = extract_relu_network(*g, p);
    const ReluRootIntervals root = interval_bounds(net, p);
    const BetaCrown bc(net, p.lower, p.upper, root.lo, root.hi);
    const auto U = static_cast<std::int64_t>(bc.unstable().size());
    ASSERT_GT(U, 3) << "seed " << seed;
    // Grid traces, once.
    const int n = 121;
    std::vector<std::vector<std::vector<double>>> zs;
    std::vector<std::vector<double>> ys;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        const double x[2] = {-1.0 + 2.0 * i / (n - 1), -1.0 + 2.0 * j / (n - 1)};
        zs.emplace_back();
        ys.emplace_back();
        trace(net, x, zs.back(), ys.back());
      }
    }
    for (int trial = 0; trial < 12; ++trial) {
      // Random splits of up to 4 unstable neurons, random parameters.
      std::vector<ReluSplit> splits;
      for (std::int64_t u = 0; u < U && splits.size() < 4; ++u) {
        if (unit(rng) < 0.3f) {
          const auto [k, j] = bc.unstable()[static_cast<std::size_t>(u)];
          splits.push_back({k, j, static_cast<std::int8_t>(unit(rng) < 0.5f ? 1 : -1)});
        }
      }
      std::vector<std::vector<float>> params(3, std::vector<float>(static_cast<std::size_t>(U)));
      std::vector<BetaCrown::Item> items;
      for (std::int64_t r = 0; r < 3; ++r) {
        for (auto& v : params[static_cast<std::size_t>(r)]) v = trial % 3 == 0 ? std::nanf("") : 2.0f * unit(rng);
      }
      for (std::int64_t r = 0; r < 3; ++r) items.push_back({0, r, &params[static_cast<std::size_t>(r)]});
      std::vector<float> lo, hi;
      bc.root_bounds(lo, hi);
      BetaCrown::Options o;
      o.iterations = trial % 2 == 0 ? 0 : 15;
      o.tighten = trial % 4 < 2;
      o.lr_alpha = 0.3;
      o.lr_beta = 0.3;
      BetaCrown::Result res;
      bc.bound({{&splits, &lo, &hi}}, items, o, res);
      // The f64 sweep with the parameters as they came out: the same bound up to f32 rounding.
      const std::vector<double> exact = bc.lower_f64({{&splits, &lo, &hi}}, items);
      if (o.iterations == 0) {
        for (std::size_t r = 0; r < 3; ++r) {
          EXPECT_NEAR(exact[r], res.lower[r], 1e-4 * (1.0 + std::fabs(exact[r])))
              << "seed " << seed << " trial " << trial;
        }
      }
      bool any_inside = false;
      for (std::size_t pt = 0; pt < ys.size(); ++pt) {
        bool inside = true;
        for (const auto& s : splits) {
          const double z = zs[pt][static_cast<std::size_t>(s.layer)][static_cast<std::size_t>(s.neuron)];
          inside = inside && (s.sign > 0 ? z >= 0.0 : z <= 0.0);
        }
        if (!inside) continue;
        any_inside = true;
        ++feasible_points;
        // The tightened intermediate bounds hold there too.
        for (std::size_t k = 0; k < zs[pt].size(); ++k) {
          for (std::size_t j = 0; j < zs[pt][k].size(); ++j) {
            const double z = zs[pt][k][j];
            const std::size_t gi = k * 10 + j;
            EXPECT_LE(lo[gi], z + 1e-4 * (1.0 + std::fabs(z))) << "seed " << seed << " trial " << trial;
            EXPECT_GE(hi[gi], z - 1e-4 * (1.0 + std::fabs(z))) << "seed " << seed << " trial " << trial;
          }
        }
        for (std::int64_t r = 0; r < 3; ++r) {
          const double y = ys[pt][static_cast<std::size_t>(r)];
          EXPECT_LE(res.lower[static_cast<std::size_t>(r)], y + 1e-4 * (1.0 + std::fabs(y)))
              << "seed " << seed << " trial " << trial << " row " << r << " with " << splits.size() << " splits";
          EXPECT_LE(exact[static_cast<std::size_t>(r)], y + 1e-9 * (1.0 + std::fabs(y)))
              << "f64: seed " << seed << " trial " << trial << " row " << r;
        }
      }
      if (any_inside) {
        EXPECT_FALSE(res.infeasible[0]) << "a split set with points in it called infeasible";
      }
      checked_items += 3;
    }
  }
  EXPECT_GE(checked_items, 200);
  EXPECT_GT(feasible_points, 50000);
}

// Many domains tightened in one call, in small chunks of sweeps: every
// domain's bounds hold on the grid points inside it, and they are bit for bit
// the bounds each domain gets alone (a chunk holds whole (lower, upper) pairs).
TEST(BetaCrown, TighteningManyDomainsInChunksHoldsAndMatchesOneAtATime) {
  auto g = random_graph(21, 10, 3);
  const CaseProblem p = problem_of({{1, -1, 0}});
  const ReluNetwork net = extract_relu_network(*g, p);
  const ReluRootIntervals root = interval_bounds(net, p);
  const BetaCrown bc(net, p.lower, p.upper, root.lo, root.hi);
  const auto U = static_cast<std::int64_t>(bc.unstable().size());
  ASSERT_GT(U, 6);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  const int D = 40;
  std::vector<std::vector<ReluSplit>> splits(D);
  std::vector<std::vector<float>> lo(D), hi(D),
      params(D, std::vector<float>(static_cast<std::size_t>(U), std::nanf("")));
  std::vector<BetaCrown::Domain> doms;
  std::vector<BetaCrown::Item> items;
  for (int d = 0; d < D; ++d) {
    // Splits in the first layer, where they tighten the layers after it.
    for (std::int64_t u = 0; u < U; ++u) {
      if (bc.unstable()[static_cast<std::size_t>(u)].first == 0 && unit(rng) < 0.4f)
        splits[d].push_back({0, bc.unstable()[static_cast<std::size_t>(u)].second,
                             static_cast<std::int8_t>(unit(rng) < 0.5f ? 1 : -1)});
    }
    bc.root_bounds(lo[d], hi[d]);
  }
  for (int d = 0; d < D; ++d) {
    doms.push_back({&splits[d], &lo[d], &hi[d]});
    items.push_back({d, 0, &params[d]});
  }
  BetaCrown::Options o;
  o.tighten = true;
  o.tighten_chunk = 7;
  BetaCrown::Result all;
  bc.bound(doms, items, o, all);
  int tightened = 0, inside_points = 0;
  for (int d = 0; d < D; ++d) {
    std::vector<float> l1, h1;
    bc.root_bounds(l1, h1);
    std::vector<float> p1(static_cast<std::size_t>(U), std::nanf(""));
    BetaCrown::Result one;
    BetaCrown::Options o1;
    o1.tighten = true;
    bc.bound({{&splits[d], &l1, &h1}}, {{0, 0, &p1}}, o1, one);
    EXPECT_EQ(l1, lo[d]) << "domain " << d;
    EXPECT_EQ(h1, hi[d]) << "domain " << d;
    EXPECT_EQ(one.lower[0], all.lower[static_cast<std::size_t>(d)]) << "domain " << d;
    std::vector<float> rl, rh;
    bc.root_bounds(rl, rh);
    for (std::size_t i = 10; i < rl.size(); ++i) tightened += (lo[d][i] > rl[i] || hi[d][i] < rh[i]) ? 1 : 0;
    for (int i = 0; i <= 60; ++i) {
      for (int j = 0; j <= 60; ++j) {
        const double x[2] = {-1.0 + i / 30.0, -1.0 + j / 30.0};
        std::vector<std::vector<double>> z;
        std::vector<double> y;
        trace(net, x, z, y);
        bool inside = true;
        for (const auto& s : splits[d]) inside = inside && (s.sign > 0 ? z[0][s.neuron] >= 0 : z[0][s.neuron] <= 0);
        if (!inside) continue;
        ++inside_points;
        for (std::size_t k = 0; k < z.size(); ++k) {
          for (std::size_t j2 = 0; j2 < z[k].size(); ++j2) {
            const double v = z[k][j2];
            EXPECT_LE(lo[d][k * 10 + j2], v + 1e-4 * (1 + std::fabs(v))) << "domain " << d;
            EXPECT_GE(hi[d][k * 10 + j2], v - 1e-4 * (1 + std::fabs(v))) << "domain " << d;
          }
        }
        EXPECT_LE(all.lower[static_cast<std::size_t>(d)], y[0] + 1e-4 * (1 + std::fabs(y[0]))) << "domain " << d;
      }
    }
  }
  EXPECT_GT(tightened, 40) << "the splits tightened (almost) nothing: the test checks little";
  EXPECT_GT(inside_points, 10000);
}

// z_a = x0 - 0.5 >= 0 and z_b = -x0 - 0.5 >= 0 cannot both hold: beta grows the
// bound past every value of the row (the domain is pruned by the usual test).
TEST(BetaCrown, InfeasibleSplitsArePruned) {
  auto g = std::make_shared<Graph>();
  ValueId x = g->add_input("x", {DType::F32, {1, 2}});
  auto add_affine = [&](ValueId in, const std::string& tag, std::int64_t out, std::int64_t inn,
                        const std::vector<float>& w, const std::vector<float>& b) {
    ValueId wv = g->add_constant("w" + tag, Tensor::from_vector<float>({out, inn}, w));
    ValueId bv = g->add_constant("b" + tag, Tensor::from_vector<float>({out}, b));
    return g->add_inferred_node(OpKind::Affine, "fc" + tag, {}, {in, wv, bv}, {"h" + tag})[0];
  };
  ValueId z = add_affine(x, "0", 3, 2, {1, 0, -1, 0, 0.5f, 1}, {-0.5f, -0.5f, 0.1f});
  ValueId h = g->add_inferred_node(OpKind::Relu, "relu0", {}, {z}, {"r0"})[0];
  ValueId y = add_affine(h, "1", 3, 3, {1, 1, -1, 0, 1, 0, 1, 0, 1}, {0, 0, 0});
  g->add_output(y);
  const CaseProblem p = problem_of({{-1, 0, 0}});
  const ReluNetwork net = extract_relu_network(*g, p);
  const ReluRootIntervals root = interval_bounds(net, p);
  const BetaCrown bc(net, p.lower, p.upper, root.lo, root.hi);
  ASSERT_EQ(bc.unstable().size(), 3u);
  std::vector<ReluSplit> feasible{{0, 0, 1}}, infeasible{{0, 0, 1}, {0, 1, 1}};
  std::vector<float> pa(3, std::nanf("")), pb(3, std::nanf(""));
  std::vector<float> la, ha, lb, hb;
  bc.root_bounds(la, ha);
  bc.root_bounds(lb, hb);
  BetaCrown::Options o;
  o.iterations = 60;
  o.lr_beta = 0.5;
  BetaCrown::Result ra, rb;
  bc.bound({{&feasible, &la, &ha}}, {{0, 0, &pa}}, o, ra);
  bc.bound({{&infeasible, &lb, &hb}}, {{0, 0, &pb}}, o, rb);
  // Row -y0 over the feasible domain reaches about -(1.5 + 1.6) at most; the
  // infeasible one is bounded above anything the row takes on the box.
  double row_max = -1e300;
  for (int i = 0; i <= 200; ++i) {
    for (int j = 0; j <= 200; ++j) {
      const double xx[2] = {-1.0 + i / 100.0, -1.0 + j / 100.0};
      row_max = std::max(row_max, dense_rows_at(net, xx)[0]);
    }
  }
  EXPECT_LT(ra.lower[0], row_max);
  EXPECT_GT(rb.lower[0], row_max) << "beta did not prune the infeasible split set";
  EXPECT_TRUE(row_refuted(rb.lower[0], row_max));
}

// The largest and smallest of y0(x) on an n x n grid over [-1, 1]^2.
struct GridRange {
  double max = -std::numeric_limits<double>::infinity(), min = std::numeric_limits<double>::infinity();
};
template <typename Y0>
GridRange grid_range(int n, Y0 y0) {
  GridRange r;
  const double h = 2.0 / (n - 1);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double x[2] = {-1.0 + i * h, -1.0 + j * h};
      const double v = y0(x);
      r.max = std::max(r.max, v);
      r.min = std::min(r.min, v);
    }
  }
  return r;
}

VnnlibProperty property_y0_at_least(double c, const std::string& name) {
  return test::property_y0_at_least(c, "relu_split_" + name);
}

// As Verifier.InputSplitAgreesWithADenseGrid, with ReLU split (with and
// without tightened intermediate bounds): the largest y0 on a 401 x 401 grid
// (m) and a Lipschitz slack give cases that must be sat, never unsat, and unsat.
TEST(ReluSplit, AgreesWithADenseGrid) {
  int sat = 0, unsat = 0, by_split = 0;
  for (unsigned seed = 1; seed <= 6; ++seed) {
    auto g = random_graph(seed + 100, 12, 2);
    const CaseProblem p0 = problem_of({{1, 0, 0}});
    const ReluNetwork net = extract_relu_network(*g, p0);
    const int n = 401;
    const double h = 2.0 / (n - 1);
    const GridRange grid = grid_range(n, [&](const double* x) { return dense_rows_at(net, x)[0]; });
    const double m = grid.max, lo = grid.min;
    // Lipschitz bound of y0 in L-inf.
    double lip = 1.0;
    for (const auto& l : net.layers) {
      double worst = 0.0;
      for (std::int64_t o = 0; o < l.out; ++o) {
        double row = 0.0;
        for (std::int64_t i = 0; i < l.in; ++i) row += std::fabs(l.w[static_cast<std::size_t>(o * l.in + i)]);
        worst = std::max(worst, row);
      }
      lip *= worst;
    }
    const double slack = lip * h / 2.0, range = m - lo;
    const struct {
      double c;
      const char* must;
    } cases[] = {{m - 0.02 * range, "sat"}, {m - 1e-4 * range, "not unsat"}, {m + slack + 0.02 * range, "unsat"}};
    for (const auto& k : cases) {
      for (bool tighten : {false, true}) {
        const std::string tag = "seed" + std::to_string(seed) + "_" + std::to_string(&k - cases) + (tighten ? "t" : "");
        VerifyOptions o;
        o.timeout_s = 10.0;
        o.method = "crown";
        o.jobs = 1;
        o.bab = BabKind::Relu;
        o.relu_batch = 64;
        o.relu_tighten = tighten;
        const VerifyResult r = verify(g, property_y0_at_least(k.c, tag), o);
        const std::string got = verdict_name(r.verdict);
        if (std::string(k.must) == "not unsat") {
          EXPECT_NE(got, "unsat") << tag << ": a grid point reaches y0 = " << m << " >= " << k.c;
        } else {
          EXPECT_EQ(got, k.must) << tag << ": " << r.message;
        }
        unsat += r.verdict == Verdict::Unsat ? 1 : 0;
        by_split += r.stats.decided_by == "relu split" ? 1 : 0;
        // The proved domains' shares (2^-splits each) of a finished search add up to the whole.
        if (r.stats.decided_by == "relu split") {
          EXPECT_EQ(r.stats.split_closed, 1.0) << tag;
        }
        if (r.verdict == Verdict::Sat) {
          const double y0 = dense_rows_at(net, r.counterexample.x.data())[0];
          EXPECT_GE(y0, k.c - 1e-6) << tag;
          ++sat;
        }
      }
    }
  }
  EXPECT_GE(sat, 12);
  EXPECT_GE(unsat, 12);
  EXPECT_GE(by_split, 1) << "every case was decided before branch and bound: the test checks nothing of it";
}

// A domain store capped at a few kilobytes: under pressure it goes depth-first
// and never holds more than its cap; the verdicts stay right (unknown when
// the cap ends the search).
TEST(ReluSplit, DomainStoreStaysUnderItsCap) {
  int went_depth_first = 0, runs = 0;
  // Attacks check near misses too (verify/recheck.h): some seeds end in sat
  // before branch and bound starts, so more seeds than runs needed.
  for (unsigned seed = 1; seed <= 24 && runs < 4; ++seed) {
    auto g = random_graph(seed + 300, 24, 3);
    const ReluNetwork net = extract_relu_network(*g, problem_of({{1, 0, 0}}));
    const double m = grid_range(201, [&](const double* x) { return dense_rows_at(net, x)[0]; }).max;
    // Barely violated: the search must go deep, and may never say unsat.
    VerifyOptions o;
    o.timeout_s = 4.0;
    o.method = "crown";
    o.jobs = 1;
    o.bab = BabKind::Relu;
    o.relu_batch = 16;
    o.domain_store_bytes = 24 << 10;
    const VerifyResult r = verify(g, property_y0_at_least(m - 1e-6, "cap" + std::to_string(seed)), o);
    EXPECT_NE(r.verdict, Verdict::Unsat) << "seed " << seed;
    if (r.stats.bab != "relu") continue;
    ++runs;
    EXPECT_EQ(r.stats.store_cap_bytes, 24 << 10);
    EXPECT_LE(r.stats.store_peak_bytes, r.stats.store_cap_bytes) << "seed " << seed;
    went_depth_first += r.stats.store_went_depth_first ? 1 : 0;
  }
  EXPECT_GE(runs, 3) << "attacks decided (almost) everything: the cap was not exercised";
  EXPECT_GE(went_depth_first, 1) << "no run came near the cap: the test checks little";
}

// A Sigmoid network: --bab relu is an error naming the reason; --bab auto
// falls back to attacks and says why in the stats (never silently).
TEST(ReluSplit, OtherNetworksAreNamedNotSilentlySkipped) {
  int reached = 0;
  for (unsigned seed = 1; seed <= 4; ++seed) {
    auto g = random_graph(seed + 500, 12, 2, OpKind::Sigmoid);
    ForwardOptions fo;
    fo.compute = DType::F64;
    const double m =
        grid_range(101, [&](const double* x) {
          return run_forward(*g, {Tensor::from_vector<double>({1, 2}, {x[0], x[1]})}, fo)[0].to_double_vector()[0];
        }).max;
    // Holds nowhere on the grid, close to the maximum: CROWN over the box leaves it open.
    const VnnlibProperty prop = property_y0_at_least(m + 1e-3, "sigmoid" + std::to_string(seed));
    VerifyOptions o;
    o.timeout_s = 2.0;
    o.method = "crown";
    o.jobs = 1;
    o.bab = BabKind::Auto;
    o.max_split_inputs = 0;  // not input split: the high-dimensional path
    const VerifyResult r = verify(g, prop, o);
    if (r.stats.bab.empty()) continue;  // decided before branch and bound
    ++reached;
    EXPECT_EQ(r.stats.bab.rfind("none (", 0), 0u) << r.stats.bab;
    EXPECT_NE(r.stats.bab.find("Sigmoid"), std::string::npos) << r.stats.bab;
    EXPECT_NE(r.verdict, Verdict::Unsat);
    o.bab = BabKind::Relu;
    try {
      verify(g, prop, o);
      ADD_FAILURE() << "--bab relu ran on a Sigmoid network";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find("Sigmoid"), std::string::npos) << e.what();
    }
  }
  EXPECT_GE(reached, 1) << "every case was decided before branch and bound: the test checks nothing";
}

// Splits taken from a point x* (each neuron on x*'s side), PGD started from
// the box corner opposite x*: the point it returns meets every split in most
// networks (a penalty method, so not always), and its margin is the margin
// the dense network has there.
TEST(DomainAttack, ReachesTheSubdomainFromOutside) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const CaseProblem p = problem_of({{1.0, -1.0, 0.0}, {0.0, 1.0, -1.0}});
  int cases = 0, started_outside = 0, reached = 0;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    auto g = random_graph(seed, 8, 2);
    const ReluNetwork net = extract_relu_network(*g, p);
    const std::vector<double> target{unit(rng), unit(rng)};
    std::vector<std::vector<double>> z;
    std::vector<double> rows;
    trace(net, target.data(), z, rows);
    std::vector<ReluSplit> splits;
    for (std::int32_t k = 0; k < 2; ++k) {
      for (std::int32_t j = 0; j < 3; ++j) {
        const double v = z[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)];
        if (std::fabs(v) > 1e-3) splits.push_back({k, j, static_cast<std::int8_t>(v > 0 ? 1 : -1)});
      }
    }
    const std::vector<double> start{target[0] > 0 ? -1.0 : 1.0, target[1] > 0 ? -1.0 : 1.0};
    trace(net, start.data(), z, rows);
    bool outside = false;
    for (const ReluSplit& s : splits)
      outside = outside || s.sign * z[static_cast<std::size_t>(s.layer)][static_cast<std::size_t>(s.neuron)] < 0;
    DomainAttackOptions o;
    o.steps = 40;
    const DomainAttackResult a = attack_domain(net, p, splits, start, o);
    // The margin it reports is the network's at its point.
    trace(net, a.x.data(), z, rows);
    EXPECT_NEAR(a.margin, violation_margin(p, rows.data()), 1e-9) << seed;
    std::int64_t missed = 0;
    for (const ReluSplit& s : splits)
      missed += s.sign * z[static_cast<std::size_t>(s.layer)][static_cast<std::size_t>(s.neuron)] < 0;
    EXPECT_EQ(missed, a.splits_missed) << seed;
    ++cases;
    started_outside += outside;
    reached += outside && a.splits_missed == 0;
  }
  EXPECT_GE(started_outside, 10) << "the test needs starts outside the subdomains";
  EXPECT_GE(reached, started_outside * 3 / 4) << reached << " of " << started_outside << " reached, " << cases;
}

TEST(ReluNetwork, DenseFormComputesTheNetwork) {
  auto g = random_graph(5, 9, 3);
  const CaseProblem p = problem_of({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, -2, 0.5}});
  const ReluNetwork net = extract_relu_network(*g, p);
  ASSERT_EQ(net.relu_layers(), 3);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int t = 0; t < 50; ++t) {
    const std::vector<double> x{u(rng), u(rng)};
    ForwardOptions fo;
    fo.compute = DType::F64;
    const auto y = run_forward(*g, {Tensor::from_vector<double>({1, 2}, x)}, fo)[0].to_double_vector();
    const auto rows = dense_rows_at(net, x.data());
    ASSERT_EQ(rows.size(), 4u);
    for (std::size_t r = 0; r < 4; ++r) {
      double want = 0.0;
      for (std::size_t o = 0; o < 3; ++o) want += p.rows[r][o] * y[o];
      EXPECT_NEAR(rows[r], want, 1e-5 * (1.0 + std::fabs(want)));
    }
  }
}

TEST(ReluNetwork, RefusesOtherActivationsWithTheReason) {
  auto g = random_graph(5, 4, 2, OpKind::Sigmoid);
  try {
    extract_relu_network(*g, problem_of({{1, 0, 0}}));
    FAIL() << "a Sigmoid network was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("Sigmoid"), std::string::npos) << e.what();
  }
}

// MIP-refined root bounds (verify/mip_refine.h) hold at every point of a dense
// grid, come out no looser than the intervals they start from, and sit near the
// grid's extremes (the programs run to optimality here).
TEST(MipRefine, BoundsHoldOnADenseGridAndNearlyMeetItsExtremes) {
  double refined_width = 0.0, grid_width = 0.0, interval_width = 0.0;
  std::int64_t tightened = 0, checked = 0;
  for (unsigned seed = 0; seed < 8; ++seed) {
    auto g = random_graph(200 + seed, 8, 3);
    const CaseProblem p = problem_of({{1, 0, 0}});
    const ReluNetwork net = extract_relu_network(*g, p);
    const ReluRootIntervals box = interval_bounds(net, p);
    std::vector<std::vector<float>> lo = box.lo, hi = box.hi;
    MipRefineOptions mo;
    mo.neuron_seconds = 10.0;
    mo.processes = 2;  // this process and a forked one share the neurons
    const MipRefineStats st = mip_refine(net, p.lower, p.upper, lo, hi, mo);
    EXPECT_EQ(st.processes, 2);
    EXPECT_EQ(st.layers, 2);
    EXPECT_EQ(st.failed_checks, 0);
    EXPECT_EQ(st.optimal, st.programs);
    tightened += st.tightened;
    // Grid extremes of every z_k.
    std::vector<std::vector<double>> gmin, gmax, z;
    std::vector<double> rows;
    const int n = 400;
    for (int a = 0; a <= n; ++a) {
      for (int b = 0; b <= n; ++b) {
        const double x[2] = {-1.0 + 2.0 * a / n, -1.0 + 2.0 * b / n};
        trace(net, x, z, rows);
        if (gmin.empty()) gmin = gmax = z;
        for (std::size_t k = 0; k < z.size(); ++k) {
          for (std::size_t j = 0; j < z[k].size(); ++j) {
            gmin[k][j] = std::min(gmin[k][j], z[k][j]);
            gmax[k][j] = std::max(gmax[k][j], z[k][j]);
          }
        }
      }
    }
    for (std::size_t k = 0; k < gmin.size(); ++k) {
      for (std::size_t j = 0; j < gmin[k].size(); ++j) {
        EXPECT_GE(lo[k][j], box.lo[k][j]) << "looser than where it started";
        EXPECT_LE(hi[k][j], box.hi[k][j]) << "looser than where it started";
        EXPECT_LE(lo[k][j], gmin[k][j]) << "seed " << seed << " layer " << k << " neuron " << j;
        EXPECT_GE(hi[k][j], gmax[k][j]) << "seed " << seed << " layer " << k << " neuron " << j;
        // Neurons the programs refined on both sides: from layer 1, unstable
        // still (a stable one may have had one side or none programmed: a
        // side past zero, or the CROWN pass, settles it).
        if (k >= 1 && lo[k][j] < 0.0f && hi[k][j] > 0.0f) {
          ++checked;
          refined_width += hi[k][j] - lo[k][j];
          grid_width += gmax[k][j] - gmin[k][j];
          interval_width += box.hi[k][j] - box.lo[k][j];
        }
      }
    }
  }
  ASSERT_GT(checked, 10);
  EXPECT_GT(tightened, 0);
  // Near the grid's extremes (the solver's margin and the grid's spacing
  // apart), and well inside the intervals they started from.
  EXPECT_LE(refined_width, 1.01 * grid_width + 1e-3 * static_cast<double>(checked));
  EXPECT_LT(refined_width, 0.9 * interval_width);
  std::printf("MIP-refined widths: %.4f against the grid's %.4f and the intervals' %.4f (%lld neurons)\n",
              refined_width, grid_width, interval_width, static_cast<long long>(checked));
}

}  // namespace
}  // namespace bf
