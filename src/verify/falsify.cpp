#include "verify/falsify.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "verify/recheck.h"

namespace bf {

namespace {

// The first point whose rows violate the case by value (f32), as the checker
// confirms it (near misses too: CounterexampleChecker::worth_checking).
std::optional<Counterexample> first_violation(CounterexampleChecker& checker, std::size_t case_index,
                                              const CaseProblem& problem, const std::vector<double>& points,
                                              const std::vector<double>& values, std::int64_t n_in,
                                              FalsifyStats& stats) {
  const std::int64_t rows = problem.num_rows();
  const auto count = static_cast<std::int64_t>(points.size()) / n_in;
  for (std::int64_t s = 0; s < count; ++s) {
    const double m = violation_margin(problem, values.data() + s * rows);
    stats.best_margin = std::min(stats.best_margin, m);
    if (!checker.worth_checking(m)) continue;
    std::vector<double> x(points.begin() + s * n_in, points.begin() + (s + 1) * n_in);
    if (auto cex = checker.check(case_index, std::move(x))) return cex;
  }
  return std::nullopt;
}

// Start s moves every coordinate by `fraction` of its box side along the sign
// of dir (against it for a negative fraction; not where dir is 0), clamped
// to the box.
void sign_step(std::vector<double>& points, std::int64_t s, const std::vector<double>& dir, double fraction,
               const std::vector<double>& lower, const std::vector<double>& upper) {
  const auto n = static_cast<std::int64_t>(dir.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    double& x = points[static_cast<std::size_t>(s * n + i)];
    const double step = fraction * (upper[k] - lower[k]);
    x = std::clamp(x + (dir[k] > 0 ? step : dir[k] < 0 ? -step : 0.0), lower[k], upper[k]);
  }
}

}  // namespace

std::optional<Counterexample> falsify_box(CounterexampleChecker& checker, std::size_t case_index,
                                          const CaseProblem& problem, const std::vector<double>& lower,
                                          const std::vector<double>& upper, PointEvaluator& eval,
                                          const FalsifyBudget& budget, std::mt19937_64& rng,
                                          const std::function<double()>& elapsed_ms, FalsifyStats& stats) {
  const std::int64_t n = eval.inputs(), rows = problem.num_rows();
  const auto out_of_time = [&] { return budget.deadline_ms > 0.0 && elapsed_ms() > budget.deadline_ms; };
  if (stats.samples == 0 && stats.steps == 0) stats.best_margin = std::numeric_limits<double>::infinity();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Random points (the centre first).
  std::vector<double> points, values;
  for (std::int64_t s = 0; s < budget.samples; ++s) {
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      points.push_back(s == 0 ? 0.5 * (lower[k] + upper[k]) : lower[k] + (upper[k] - lower[k]) * unit(rng));
    }
  }
  if (!points.empty()) {
    eval.evaluate(points, values, nullptr);
    stats.samples += budget.samples;
    if (auto cex = first_violation(checker, case_index, problem, points, values, n, stats)) return cex;
  }
  // PGD: each start aims at one polytope and descends the hinge loss
  // sum_i max(0, row_i - rhs_i + kappa) (every row still above its rhs, plus a
  // little margin, pushed down at once); a step moves every coordinate by its
  // step size against the sign of the gradient.
  std::vector<std::int64_t> aims;  // the polytopes the starts aim at
  for (std::int64_t p = 0; p < problem.num_polytopes(); ++p) {
    if (budget.targets.empty() || budget.targets[static_cast<std::size_t>(p)]) aims.push_back(p);
  }
  if (aims.empty()) aims.push_back(0);
  const auto polys = static_cast<std::int64_t>(aims.size());
  const std::int64_t starts = static_cast<std::int64_t>(budget.restarts) * polys;
  points.assign(static_cast<std::size_t>(starts * n), 0.0);
  for (std::int64_t s = 0; s < starts; ++s) {
    // The centre, random points, and random corners (where sign steps end up).
    const int kind = s < polys ? 0 : (s / polys) % 2 == 1 ? 1 : 2;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      double& x = points[static_cast<std::size_t>(s * n + i)];
      x = kind == 0   ? 0.5 * (lower[k] + upper[k])
          : kind == 1 ? lower[k] + (upper[k] - lower[k]) * unit(rng)
                      : (unit(rng) < 0.5 ? lower[k] : upper[k]);
    }
  }
  const std::int64_t given = std::min<std::int64_t>(starts, static_cast<std::int64_t>(budget.starts.size()) / n);
  for (std::int64_t s = 0; s < given; ++s) {
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      points[static_cast<std::size_t>(s * n + i)] =
          std::clamp(budget.starts[static_cast<std::size_t>(s * n + i)], lower[k], upper[k]);
    }
  }
  // Output-diversified starts (ODI): random starts first move for a few steps
  // along a random combination of the case's rows, so restarts reach
  // different basins rather than all sliding to the corner the gradient at
  // the centre points at.
  std::vector<double> grads;
  std::vector<double> weight(static_cast<std::size_t>(starts * rows));
  for (auto& w : weight) w = 2.0 * unit(rng) - 1.0;
  for (int t = 0; t < budget.odi_steps && !out_of_time(); ++t) {
    eval.evaluate(points, values, &grads);
    ++stats.steps;
    if (auto cex = first_violation(checker, case_index, problem, points, values, n, stats)) return cex;
    std::vector<double> dir(static_cast<std::size_t>(n));
    for (std::int64_t s = std::max(polys, given); s < starts; ++s) {
      for (std::int64_t i = 0; i < n; ++i) {
        double gi = 0.0;
        for (std::int64_t r = 0; r < rows; ++r) {
          gi +=
              weight[static_cast<std::size_t>(s * rows + r)] * grads[static_cast<std::size_t>((s * rows + r) * n + i)];
        }
        dir[static_cast<std::size_t>(i)] = gi;
      }
      sign_step(points, s, dir, 0.5, lower, upper);
    }
  }
  for (int t = 0; t < budget.steps && !out_of_time(); ++t) {
    eval.evaluate(points, values, &grads);
    ++stats.steps;
    if (auto cex = first_violation(checker, case_index, problem, points, values, n, stats)) return cex;
    const double scale = 0.1 * std::pow(0.92, t);
    std::vector<double> g(static_cast<std::size_t>(n));
    for (std::int64_t s = 0; s < starts; ++s) {
      const std::int64_t p = aims[static_cast<std::size_t>(s % polys)];
      std::fill(g.begin(), g.end(), 0.0);
      bool active = false;
      for (std::int64_t i = problem.polytope_start[static_cast<std::size_t>(p)];
           i < problem.polytope_start[static_cast<std::size_t>(p) + 1]; ++i) {
        const double b = problem.rhs[static_cast<std::size_t>(i)];
        const double v = values[static_cast<std::size_t>(s * rows + i)] - b;
        if (v + 1e-4 * (1.0 + std::fabs(b)) <= 0.0) continue;
        active = true;
        const double* gi = grads.data() + (s * rows + i) * n;
        for (std::int64_t d = 0; d < n; ++d) g[static_cast<std::size_t>(d)] += gi[d];
      }
      if (!active) continue;
      sign_step(points, s, g, -scale, lower, upper);
    }
  }
  if (!out_of_time()) {
    eval.evaluate(points, values, nullptr);
    if (auto cex = first_violation(checker, case_index, problem, points, values, n, stats)) return cex;
  }
  return std::nullopt;
}

}  // namespace bf
