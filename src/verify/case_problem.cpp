#include "verify/case_problem.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bf {

Tensor CaseProblem::spec(DType dtype) const {
  std::vector<double> values;
  for (const auto& r : rows) values.insert(values.end(), r.begin(), r.end());
  return Tensor::from_vector<double>({num_rows(), num_outputs}, values).cast(dtype);
}

bool CaseProblem::spec_exact_in_f32() const {
  for (const auto& r : rows) {
    for (double v : r) {
      if (static_cast<double>(static_cast<float>(v)) != v) return false;
    }
  }
  return true;
}

CaseProblem case_problem(const VnnlibCase& c, std::int64_t num_outputs) {
  CaseProblem p;
  p.lower = c.lower;
  p.upper = c.upper;
  p.num_outputs = num_outputs;
  for (const auto& poly : c.polytopes) {
    p.polytope_start.push_back(p.num_rows());
    for (std::size_t i = 0; i < poly.rows.size(); ++i) {
      std::vector<double> full(static_cast<std::size_t>(num_outputs), 0.0);
      std::copy(poly.rows[i].begin(), poly.rows[i].end(), full.begin());
      p.rows.push_back(std::move(full));
      p.rhs.push_back(poly.rhs[i]);
    }
  }
  p.polytope_start.push_back(p.num_rows());
  return p;
}

double unsat_margin(double rhs, double bound) {
  // f32 bounds round to nearest, not outward: allow 1e-5 of the larger of 1,
  // |rhs| and |bound| (the sampling tests' worst overshoot is 5e-7 relative).
  return 1e-5 * std::max({1.0, std::fabs(rhs), std::fabs(bound)});
}

bool row_refuted(double lower, double rhs, bool margin) {
  return std::isfinite(lower) && lower > rhs + (margin ? unsat_margin(rhs, lower) : 0.0);
}

bool case_refuted(const CaseProblem& c, const double* row_lower, double* score, bool margin) {
  bool all = true;
  double least = std::numeric_limits<double>::infinity();
  for (std::int64_t p = 0; p < c.num_polytopes(); ++p) {
    bool refuted = false;
    double best = -std::numeric_limits<double>::infinity();
    for (std::int64_t i = c.polytope_start[static_cast<std::size_t>(p)];
         i < c.polytope_start[static_cast<std::size_t>(p) + 1]; ++i) {
      const double lo = row_lower[i], b = c.rhs[static_cast<std::size_t>(i)];
      if (!std::isfinite(lo)) continue;
      best = std::max(best, lo - b);
      refuted |= row_refuted(lo, b, margin);
    }
    all &= refuted;
    least = std::min(least, best);
  }
  if (score) *score = least;
  return all;
}

std::int64_t satisfied_polytope(const CaseProblem& c, const double* row_value, double slack) {
  for (std::int64_t p = 0; p < c.num_polytopes(); ++p) {
    bool holds = true;
    for (std::int64_t i = c.polytope_start[static_cast<std::size_t>(p)];
         i < c.polytope_start[static_cast<std::size_t>(p) + 1] && holds; ++i) {
      holds = row_value[i] <= c.rhs[static_cast<std::size_t>(i)] - slack;
    }
    if (holds) return p;
  }
  return -1;
}

double violation_margin(const CaseProblem& c, const double* row_value, std::int64_t* polytope, std::int64_t* row) {
  double best = std::numeric_limits<double>::infinity();
  for (std::int64_t p = 0; p < c.num_polytopes(); ++p) {
    double worst = -std::numeric_limits<double>::infinity();
    std::int64_t worst_row = -1;
    for (std::int64_t i = c.polytope_start[static_cast<std::size_t>(p)];
         i < c.polytope_start[static_cast<std::size_t>(p) + 1]; ++i) {
      const double v = row_value[i] - c.rhs[static_cast<std::size_t>(i)];
      if (v > worst) {
        worst = v;
        worst_row = i;
      }
    }
    if (worst < best) {
      best = worst;
      if (polytope) *polytope = p;
      if (row) *row = worst_row;
    }
  }
  return best;
}

}  // namespace bf
