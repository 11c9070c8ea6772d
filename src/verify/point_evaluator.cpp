#include "verify/point_evaluator.h"

#include <algorithm>

namespace bf {

PointEvaluator::PointEvaluator(std::shared_ptr<const Graph> graph, const CaseProblem& problem, std::int64_t batch,
                               std::int64_t max_memory)
    : graph_(std::move(graph)), batch_(batch) {
  shape_ = graph_->type(graph_->inputs()[0]).shape;
  inputs_ = numel(shape_);
  rows_ = problem.num_rows();
  BoundRequest req;
  req.graph = graph_;
  req.spec = problem.spec(DType::F32);
  req.export_input_coefficients = true;
  req.max_memory = max_memory;
  std::vector<double> centre(static_cast<std::size_t>(batch_ * inputs_));
  for (std::int64_t b = 0; b < batch_; ++b) {
    for (std::int64_t i = 0; i < inputs_; ++i) {
      centre[static_cast<std::size_t>(b * inputs_ + i)] =
          0.5 * (problem.lower[static_cast<std::size_t>(i)] + problem.upper[static_cast<std::size_t>(i)]);
    }
  }
  req.region = input_box(centre, centre, shape_, DType::F32);
  prepared_ = make_bound_method("crown-ibp")->prepare(req);
}

void PointEvaluator::evaluate(const std::vector<double>& points, std::vector<double>& values,
                              std::vector<double>* grads) {
  const auto count = static_cast<std::int64_t>(points.size()) / inputs_;
  values.assign(static_cast<std::size_t>(count * rows_), 0.0);
  if (grads) grads->assign(static_cast<std::size_t>(count * rows_ * inputs_), 0.0);
  for (std::int64_t first = 0; first < count; first += batch_) {
    const std::int64_t n = std::min(batch_, count - first);
    // Pad a short call with copies of its last point.
    std::vector<double> x(static_cast<std::size_t>(batch_ * inputs_));
    for (std::int64_t b = 0; b < batch_; ++b) {
      const std::int64_t src = first + std::min(b, n - 1);
      std::copy_n(points.begin() + src * inputs_, inputs_, x.begin() + b * inputs_);
    }
    const BoundResult r = prepared_->run(input_box(x, x, shape_, DType::F32));
    const auto lo = r.outputs[0].lower.to_double_vector(), hi = r.outputs[0].upper.to_double_vector();
    for (std::int64_t i = 0; i < n * rows_; ++i) {
      values[static_cast<std::size_t>(first * rows_ + i)] =
          0.5 * (lo[static_cast<std::size_t>(i)] + hi[static_cast<std::size_t>(i)]);
    }
    if (grads) {
      const auto a = r.coeff_lower.to_double_vector();
      std::copy_n(a.begin(), n * rows_ * inputs_, grads->begin() + first * rows_ * inputs_);
    }
  }
}

}  // namespace bf
