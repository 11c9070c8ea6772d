// ReLU-split branch and bound on small random ReLU networks with two inputs,
// where a dense grid gives the truth:
//   (beta-CROWN's bounds of subdomains against a grid: tests/unit/methods/branch_bounds_test.cpp)
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
#include "support/test_graphs.h"
#include "support/test_paths.h"
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

// CROWN, then ReLU split on one thread.
VerifyOptions relu_split_options(double timeout_s, std::int64_t relu_batch = VerifyOptions{}.relu_batch) {
  VerifyOptions o;
  o.timeout_s = timeout_s;
  o.method = "crown";
  o.jobs = 1;
  o.bab = BabKind::Relu;
  o.relu_batch = relu_batch;
  return o;
}

// The grid cases' verifier: 10 s, 64 rows per call.
VerifyOptions grid_case_options(bool tighten) {
  VerifyOptions o = relu_split_options(10.0, 64);
  o.relu_tighten = tighten;
  return o;
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
        const VerifyOptions o = grid_case_options(tighten);
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

// The same on random graphs with convolutions, residual Adds, AveragePool and
// MaxPool (tests/support/test_graphs.h), which only the planned program can
// bound: y0 >= c with c reached on a 201 x 201 grid is never unsat (and sat
// when 2% of the range below the grid's maximum); well above it, branch and
// bound proves it, and the verdict says it was branch and bound that did.
TEST(ReluSplit, AgreesWithADenseGridOnConvolutionalGraphs) {
  int sat = 0, unsat = 0, by_split = 0;
  for (unsigned seed = 1; seed <= 8; ++seed) {
    auto g = test::random_residual_conv(seed + 40);
    ForwardOptions fo;
    fo.compute = DType::F64;
    const int n = 201;
    std::vector<double> xs;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        xs.push_back(-1.0 + 2.0 * i / (n - 1));
        xs.push_back(-1.0 + 2.0 * j / (n - 1));
      }
    }
    fo.batch = static_cast<std::int64_t>(n) * n;
    const auto y = run_forward(*g, {Tensor::from_vector<double>({fo.batch, 2}, xs)}, fo)[0].to_double_vector();
    double m = -1e300, lo = 1e300;
    for (std::int64_t p = 0; p < fo.batch; ++p) {
      m = std::max(m, y[static_cast<std::size_t>(3 * p)]);
      lo = std::min(lo, y[static_cast<std::size_t>(3 * p)]);
    }
    const double range = m - lo;
    const struct {
      double c;
      const char* must;
    } cases[] = {{m - 0.02 * range, "sat"}, {m - 1e-4 * range, "not unsat"}, {m + 0.1 * range, "any"}};
    for (const auto& k : cases) {
      const std::string tag = "conv" + std::to_string(seed) + "_" + std::to_string(&k - cases);
      const VerifyResult r = verify(g, property_y0_at_least(k.c, tag), grid_case_options(false));
      const std::string got = verdict_name(r.verdict);
      if (std::string(k.must) == "sat") {
        EXPECT_EQ(got, "sat") << tag << ": " << r.message;
      }
      if (std::string(k.must) != "any") {
        EXPECT_NE(got, "unsat") << tag << ": a grid point reaches " << k.c;
      }
      sat += r.verdict == Verdict::Sat;
      unsat += r.verdict == Verdict::Unsat;
      by_split += r.verdict == Verdict::Unsat && r.stats.decided_by == "relu split";
      if (r.verdict == Verdict::Sat) {
        ForwardOptions one;
        one.compute = DType::F64;
        const double y0 =
            run_forward(*g, {Tensor::from_vector<double>({1, 2}, r.counterexample.x)}, one)[0].to_double_vector()[0];
        EXPECT_GE(y0, k.c - 1e-6) << tag;
      }
    }
  }
  EXPECT_GE(sat, 8);
  EXPECT_GE(unsat, 4);
  EXPECT_GE(by_split, 1) << "no case was proved by branch and bound: the test checks nothing of it";
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
    VerifyOptions o = relu_split_options(4.0, 16);
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

// A Sigmoid network: ReLU split runs on it (Sigmoid relaxed, never split;
// with no ReLU to split the search ends at the root), and never says unsat
// where a grid point violates the property.
TEST(ReluSplit, RunsOnNetworksWithOtherActivations) {
  int reached = 0;
  for (unsigned seed = 1; seed <= 4; ++seed) {
    auto g = random_graph(seed + 500, 12, 2, OpKind::Sigmoid);
    ForwardOptions fo;
    fo.compute = DType::F64;
    const double m =
        grid_range(101, [&](const double* x) {
          return run_forward(*g, {Tensor::from_vector<double>({1, 2}, {x[0], x[1]})}, fo)[0].to_double_vector()[0];
        }).max;
    const VerifyOptions o = relu_split_options(2.0);
    // Reached on the grid: never unsat.
    const VerifyResult r = verify(g, property_y0_at_least(m - 1e-4, "sigmoid" + std::to_string(seed)), o);
    EXPECT_NE(r.verdict, Verdict::Unsat);
    // Just above the grid's maximum: bounds over the box leave it open, and branch and bound runs.
    const VerifyResult above = verify(g, property_y0_at_least(m + 1e-3, "above" + std::to_string(seed)), o);
    if (above.stats.bab.empty()) continue;  // decided before branch and bound
    ++reached;
    EXPECT_EQ(above.stats.bab, "relu");
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
