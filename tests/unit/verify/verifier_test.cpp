// The verifier on small random ReLU networks with two inputs, where a dense
// grid plus a Lipschitz bound give the truth: input-split branch and bound is
// complete there, so its verdicts must match, and an `unsat` must never be
// answered where a grid point violates the property. Also the pieces the
// verdicts rest on: the rounding margin, refutation from non-finite bounds,
// and the f64 re-check of counterexamples.
#include "verify/verifier.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "frontend/vnnlib/vnnlib.h"
#include "support/test_paths.h"
#include "verify/case_problem.h"
#include "verify/recheck.h"
#include "y0_property.h"

namespace bf {
namespace {

// x[1,2] -> (Affine -> Relu) x 2 -> Affine -> y[1,3], weights kept for an
// independent f64 forward pass.
struct SmallNet {
  std::shared_ptr<Graph> graph;
  std::vector<std::vector<double>> w, b;  // per layer: [out * in], [out]
  std::vector<std::int64_t> widths;       // 2, hidden..., 3

  std::vector<double> forward(const std::vector<double>& x) const {
    std::vector<double> h = x;
    for (std::size_t l = 0; l < w.size(); ++l) {
      const auto in = static_cast<std::size_t>(widths[l]), out = static_cast<std::size_t>(widths[l + 1]);
      std::vector<double> next(out);
      for (std::size_t o = 0; o < out; ++o) {
        double s = b[l][o];
        for (std::size_t i = 0; i < in; ++i) s += w[l][o * in + i] * h[i];
        next[o] = l + 1 < w.size() ? std::max(0.0, s) : s;
      }
      h = std::move(next);
    }
    return h;
  }

  // A bound on |dy0| per unit of L-inf distance in x (ReLU is 1-Lipschitz).
  double lipschitz_y0() const {
    double lip = 1.0;
    for (std::size_t l = 0; l + 1 < w.size(); ++l) {
      const auto in = static_cast<std::size_t>(widths[l]), out = static_cast<std::size_t>(widths[l + 1]);
      double worst = 0.0;
      for (std::size_t o = 0; o < out; ++o) {
        double row = 0.0;
        for (std::size_t i = 0; i < in; ++i) row += std::fabs(w[l][o * in + i]);
        worst = std::max(worst, row);
      }
      lip *= worst;
    }
    double last = 0.0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(widths[widths.size() - 2]); ++i)
      last += std::fabs(w.back()[i]);
    return lip * last;
  }
};

SmallNet random_net(unsigned seed, std::int64_t hidden) {
  SmallNet net;
  net.graph = std::make_shared<Graph>();
  net.widths = {2, hidden, hidden, 3};
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.6f);
  ValueId x = net.graph->add_input("x", {DType::F32, {1, 2}});
  for (std::size_t l = 0; l + 1 < net.widths.size(); ++l) {
    const std::int64_t in = net.widths[l], out = net.widths[l + 1];
    Tensor wt(DType::F32, {out, in}), bt(DType::F32, {out});
    std::vector<double> wd, bd;
    for (std::int64_t i = 0; i < out * in; ++i) wd.push_back(wt.mutable_data<float>()[i] = dist(rng));
    for (std::int64_t i = 0; i < out; ++i) bd.push_back(bt.mutable_data<float>()[i] = dist(rng));
    net.w.push_back(wd);
    net.b.push_back(bd);
    const std::string tag = std::to_string(l);
    ValueId wv = net.graph->add_constant("w" + tag, wt);
    ValueId bv = net.graph->add_constant("b" + tag, bt);
    x = net.graph->add_inferred_node(OpKind::Affine, "fc" + tag, {}, {x, wv, bv}, {"h" + tag})[0];
    if (l + 2 < net.widths.size())
      x = net.graph->add_inferred_node(OpKind::Relu, "relu" + tag, {}, {x}, {"r" + tag})[0];
  }
  net.graph->add_output(x);
  return net;
}

VnnlibProperty property_y0_at_least(double c, const std::string& name) {
  return test::property_y0_at_least(c, "verifier_" + name);
}

VerifyOptions quick_options() {
  VerifyOptions o;
  o.timeout_s = 20.0;
  o.method = "crown";
  o.jobs = 1;
  return o;
}

// For each net: the largest y0 on a 401 x 401 grid (m), and the most y0 can
// exceed it anywhere in the box (Lipschitz bound times half the grid step).
// y0 >= m - 2% of y0's range is violated at a grid point: must be sat.
// y0 >= m - 1e-4 of the range is violated too, barely: never unsat (sat or,
// if branch and bound runs out of time, timeout). y0 >= m + slack + 2% holds
// nowhere: must be unsat.
TEST(Verifier, InputSplitAgreesWithADenseGrid) {
  int sat = 0, unsat = 0;
  for (unsigned seed = 1; seed <= 6; ++seed) {
    const SmallNet net = random_net(seed, 12);
    const int n = 401;
    const double h = 2.0 / (n - 1);
    double m = -std::numeric_limits<double>::infinity(), lo = std::numeric_limits<double>::infinity();
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        const double y0 = net.forward({-1.0 + i * h, -1.0 + j * h})[0];
        m = std::max(m, y0);
        lo = std::min(lo, y0);
      }
    }
    const double slack = net.lipschitz_y0() * h / 2.0;
    const double range = m - lo;
    const struct {
      double c;
      const char* must;  // "sat", "unsat", or "not unsat"
    } cases[] = {{m - 0.02 * range, "sat"}, {m - 1e-4 * range, "not unsat"}, {m + slack + 0.02 * range, "unsat"}};
    for (const auto& k : cases) {
      const std::string tag = "seed" + std::to_string(seed) + "_" + std::to_string(&k - cases);
      const VnnlibProperty prop = property_y0_at_least(k.c, tag);
      VerifyOptions o = quick_options();
      o.timeout_s = 5.0;
      const VerifyResult r = verify(net.graph, prop, o);
      const std::string got = verdict_name(r.verdict);
      if (std::string(k.must) == "not unsat") {
        EXPECT_NE(got, "unsat") << tag << ": a grid point reaches y0 = " << m << " >= " << k.c;
      } else {
        EXPECT_EQ(got, k.must) << tag << ": " << r.message;
      }
      unsat += r.verdict == Verdict::Unsat ? 1 : 0;
      if (r.verdict == Verdict::Sat) {
        // The counterexample, checked by the independent forward pass.
        ASSERT_EQ(r.counterexample.x.size(), 2u);
        for (double v : r.counterexample.x) EXPECT_TRUE(v >= -1.0 && v <= 1.0) << tag;
        EXPECT_GE(net.forward(r.counterexample.x)[0], k.c) << tag;
        ++sat;
      }
    }
  }
  EXPECT_GE(sat, 6);
  EXPECT_GE(unsat, 6);
}

// The same nets with input split turned off: attacks alone find the sat cases
// (the gap is 2% of y0's range), and the counterexamples hold.
TEST(Verifier, AttacksAloneFindEasyViolations) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    const SmallNet net = random_net(seed, 12);
    double m = -std::numeric_limits<double>::infinity(), lo = std::numeric_limits<double>::infinity();
    for (int i = 0; i <= 100; ++i) {
      for (int j = 0; j <= 100; ++j) {
        const double y0 = net.forward({-1.0 + i * 0.02, -1.0 + j * 0.02})[0];
        m = std::max(m, y0);
        lo = std::min(lo, y0);
      }
    }
    VerifyOptions o = quick_options();
    o.max_split_inputs = 0;
    o.timeout_s = 5.0;
    const double c = m - 0.02 * (m - lo);
    const VerifyResult r = verify(net.graph, property_y0_at_least(c, "attack" + std::to_string(seed)), o);
    ASSERT_EQ(r.verdict, Verdict::Sat) << "seed " << seed;
    EXPECT_EQ(r.stats.domains_bounded, 0) << "input split ran although it was off";
    EXPECT_GE(net.forward(r.counterexample.x)[0], c);
  }
}

// With a thread to spare the input split's claims are certified beside the
// search (verify/deferred_proofs.h); results come back at points the search
// fixes, so two runs agree to the domain, and every proved domain was
// confirmed by the sound program. One thread certifies between batches:
// the same verdicts.
TEST(Verifier, InputSplitCertifiesBesideTheSearchDeterministically) {
  const int threads_before = omp_get_max_threads();
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const SmallNet net = random_net(seed, 12);
    double m = -std::numeric_limits<double>::infinity();
    for (int i = 0; i <= 200; ++i) {
      for (int j = 0; j <= 200; ++j) m = std::max(m, net.forward({-1.0 + i * 0.01, -1.0 + j * 0.01})[0]);
    }
    const double slack = net.lipschitz_y0() * 0.005;
    const VnnlibProperty prop = property_y0_at_least(m + slack + 1e-3, "threads" + std::to_string(seed));
    VerifyOptions o = quick_options();
    o.timeout_s = 30.0;
    VerifyStats runs[3];
    for (int run = 0; run < 3; ++run) {
      omp_set_num_threads(run < 2 ? 2 : 1);
      const VerifyResult r = verify(net.graph, prop, o);
      ASSERT_EQ(r.verdict, Verdict::Unsat) << "seed " << seed << " run " << run << ": " << r.message;
      ASSERT_GT(r.stats.domains_bounded, 0) << "seed " << seed << ": proved without the input split";
      EXPECT_EQ(r.stats.domains_proved, r.stats.sound_f32 + r.stats.sound_f64) << "seed " << seed;
      EXPECT_EQ(r.stats.sound_rejected + r.stats.sound_f64_skipped, 0) << "seed " << seed;
      runs[run] = r.stats;
    }
    EXPECT_EQ(runs[0].domains_bounded, runs[1].domains_bounded) << "seed " << seed;
    EXPECT_EQ(runs[0].domains_proved, runs[1].domains_proved) << "seed " << seed;
    EXPECT_GT(runs[2].domains_proved, 0) << "seed " << seed;
  }
  omp_set_num_threads(threads_before);
}

TEST(Verifier, UnsatMarginCoversFloat32Rounding) {
  // At least 1e-5 absolute, relative to the larger of |rhs| and |bound|.
  EXPECT_GE(unsat_margin(0.0, 0.0), 1e-5);
  EXPECT_NEAR(unsat_margin(1000.0, 0.0) / 1000.0, 1e-5, 1e-9);
  EXPECT_NEAR(unsat_margin(0.0, -5e4) / 5e4, 1e-5, 1e-9);
  // One f32 rounding of a value of that size is at most 6e-8 relative: the margin is 80 of them.
  EXPECT_GT(unsat_margin(1.0, 1.0), 64 * std::numeric_limits<float>::epsilon());
}

TEST(Verifier, NonFiniteBoundsNeverRefute) {
  VnnlibCase vc;
  vc.lower = {0.0};
  vc.upper = {1.0};
  vc.polytopes.push_back({{{1.0, 0.0}}, {0.0}});
  const CaseProblem p = case_problem(vc, 2);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (bool margin : {false, true}) {
    for (double lower : {nan, inf, -inf}) EXPECT_FALSE(case_refuted(p, &lower, nullptr, margin)) << lower;
  }
  // Plain f32 bounds (--fast-unsound-fp) need the margin; sound ones only to clear b.
  const double just_above = unsat_margin(0.0, 0.0) * 0.5;
  EXPECT_FALSE(case_refuted(p, &just_above, nullptr, /*margin=*/true)) << "refuted within the rounding margin";
  EXPECT_TRUE(case_refuted(p, &just_above, nullptr, /*margin=*/false));
  const double at = 0.0;
  EXPECT_FALSE(case_refuted(p, &at, nullptr, false)) << "a bound equal to b refutes nothing";
  const double clear = 1.0;
  EXPECT_TRUE(case_refuted(p, &clear, nullptr, true));
}

TEST(Verifier, SpecsThatFloat32CannotHoldAreFlagged) {
  VnnlibCase vc;
  vc.lower = {0.0};
  vc.upper = {1.0};
  vc.polytopes.push_back({{{1.0, -1.0}}, {0.0}});
  EXPECT_TRUE(case_problem(vc, 2).spec_exact_in_f32());
  vc.polytopes.push_back({{{0.1, 0.0}}, {0.0}});
  EXPECT_FALSE(case_problem(vc, 2).spec_exact_in_f32());
}

TEST(Verifier, RecheckKeepsOnlyTrueViolationsInsideTheBox) {
  const SmallNet net = random_net(3, 8);
  const double y_centre = net.forward({0.0, 0.0})[0];
  // Violated where y0 >= y(centre) - 1e-3: the centre violates it.
  const VnnlibProperty prop = property_y0_at_least(y_centre - 1e-3, "recheck");
  auto cex = recheck_counterexample(*net.graph, prop, 0, {0.0, 0.0});
  ASSERT_TRUE(cex.has_value());
  EXPECT_NEAR(cex->y[0], y_centre, 1e-12);
  // A point outside the box is clamped into it before the check.
  auto clamped = recheck_counterexample(*net.graph, prop, 0, {0.0, 7.0});
  if (clamped) {
    EXPECT_EQ(clamped->x[1], 1.0);
  }
  // A property the centre misses by far: no counterexample.
  const VnnlibProperty far = property_y0_at_least(y_centre + 1e3, "recheck_far");
  EXPECT_FALSE(recheck_counterexample(*net.graph, far, 0, {0.0, 0.0}).has_value());
  // One the point violates by less than the slack we demand for the scorer's
  // f32 recomputation: refused too.
  const VnnlibProperty edge = property_y0_at_least(y_centre - 1e-9, "recheck_edge");
  EXPECT_FALSE(recheck_counterexample(*net.graph, edge, 0, {0.0, 0.0}).has_value());
}

}  // namespace
}  // namespace bf
