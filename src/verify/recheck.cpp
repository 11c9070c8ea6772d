#include "verify/recheck.h"

#include <algorithm>
#include <cmath>

#include "methods/bound_method.h"
#include "runtime/forward_executor.h"
#include "support/outward_round.h"

namespace bf {

std::optional<Counterexample> recheck_counterexample(const Graph& graph, const VnnlibProperty& property,
                                                     std::size_t case_index, std::vector<double> x) {
  const VnnlibCase& c = property.cases.at(case_index);
  if (x.size() != c.lower.size()) return std::nullopt;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) return std::nullopt;
    x[i] = std::clamp(x[i], c.lower[i], c.upper[i]);
  }
  Tensor in(DType::F64, {static_cast<std::int64_t>(x.size())});
  std::copy(x.begin(), x.end(), in.mutable_data<double>());
  ForwardOptions fo;
  fo.compute = DType::F64;
  const std::vector<double> y = run_forward(graph, {in}, fo).at(0).to_double_vector();
  for (double v : y) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  for (const auto& poly : c.polytopes) {
    bool holds = true;
    for (std::size_t i = 0; i < poly.rows.size() && holds; ++i) {
      double v = 0.0;
      for (std::size_t j = 0; j < poly.rows[i].size(); ++j) v += poly.rows[i][j] * y[j];
      holds = v <= poly.rhs[i] - kCounterexampleSlack * (1.0 + std::fabs(poly.rhs[i]));
    }
    if (holds) return Counterexample{x, y};
  }
  return std::nullopt;
}

CounterexampleChecker::CounterexampleChecker(std::shared_ptr<const Graph> graph, const VnnlibProperty& property,
                                             bool accept_exact_only)
    : graph_(std::move(graph)), property_(property), accept_exact_only_(accept_exact_only) {}

namespace {

// y(x) by the reference forward pass in `dtype` (x given in f64).
std::vector<double> forward(const Graph& g, const std::vector<double>& x, DType dtype) {
  Tensor in(DType::F64, {static_cast<std::int64_t>(x.size())});
  std::copy(x.begin(), x.end(), in.mutable_data<double>());
  ForwardOptions fo;
  fo.compute = dtype;
  return run_forward(g, {in}, fo).at(0).to_double_vector();
}

double row_value(const std::vector<double>& row, const std::vector<double>& y) {
  double v = 0.0;
  for (std::size_t j = 0; j < row.size(); ++j) v += row[j] * y[j];
  return v;
}

}  // namespace

bool CounterexampleChecker::violates_exactly(std::size_t case_index, const std::vector<double>& x,
                                             const OutputPolytope& poly) const {
  (void)case_index;
  const std::int64_t outputs = graph_->type(graph_->outputs()[0]).numel();
  std::vector<double> c;
  for (const auto& row : poly.rows) {
    std::vector<double> full(static_cast<std::size_t>(outputs), 0.0);
    std::copy(row.begin(), row.end(), full.begin());
    c.insert(c.end(), full.begin(), full.end());
  }
  BoundRequest req;
  req.graph = graph_;
  req.spec = Tensor::from_vector<double>({static_cast<std::int64_t>(poly.rows.size()), outputs}, c);
  req.region = input_box(x, x, graph_->type(graph_->inputs()[0]).shape, DType::F64, /*outward=*/true);
  req.sound_fp = true;
  req.lower = false;
  // One point, bounded once: the reference executor plans it but compiles
  // nothing (a compiled program costs milliseconds to build).
  req.executor = ExecutorKind::Reference;
  const std::vector<double> upper = make_bound_method("crown")->compute(req).outputs[0].upper.to_double_vector();
  for (std::size_t i = 0; i < poly.rows.size(); ++i) {
    if (!(upper[i] <= poly.rhs[i])) return false;
  }
  return true;
}

bool CounterexampleChecker::worth_checking(double margin) {
  if (margin <= 0.0) return true;
  if (!(margin < closest_near_miss_)) return false;
  closest_near_miss_ = margin;
  return true;
}

std::optional<Counterexample> CounterexampleChecker::check(std::size_t case_index, std::vector<double> x) {
  const VnnlibCase& c = property_.cases.at(case_index);
  if (x.size() != c.lower.size()) return std::nullopt;
  // The f32 input nearest x inside the box: what the scorer will evaluate.
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) return std::nullopt;
    const double v = std::clamp(x[i], c.lower[i], c.upper[i]);
    double f = static_cast<float>(v);
    if (f < c.lower[i]) f = round_up<float>(c.lower[i]);
    if (f > c.upper[i]) f = round_down<float>(c.upper[i]);
    x[i] = f >= c.lower[i] && f <= c.upper[i] ? f : v;  // a box narrower than an f32 step keeps v
  }
  ++checked_;
  const std::vector<double> y = forward(*graph_, x, DType::F64);
  for (double v : y) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  for (const auto& poly : c.polytopes) {
    bool holds = true;
    for (std::size_t i = 0; i < poly.rows.size() && holds; ++i) holds = row_value(poly.rows[i], y) <= poly.rhs[i];
    if (!holds || !violates_exactly(case_index, x, poly)) continue;
    const std::vector<double> y32 = forward(*graph_, x, DType::F32);
    double miss = 0.0;  // how far f32 puts the worst row above its rhs
    for (std::size_t i = 0; i < poly.rows.size(); ++i)
      miss = std::max(miss, row_value(poly.rows[i], y32) - poly.rhs[i]);
    if (miss <= kF32Tolerance) return Counterexample{x, y};
    if (!exact_only_ || miss < exact_only_miss_) {
      exact_only_ = Counterexample{x, y};
      exact_only_miss_ = miss;
    }
    if (accept_exact_only_) return Counterexample{x, y};
  }
  return std::nullopt;
}

}  // namespace bf
