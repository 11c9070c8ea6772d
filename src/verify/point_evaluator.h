// Network values and their gradients at many points at once, for attacks:
// the rows C·y(x) of a case's polytopes and d(C·y)/dx, from one CROWN-IBP pass
// over a one-point region per sample (IBP is exact at a point, and the final
// backward sweep is the reverse pass: bound/linear, exported input
// coefficients). Compiled once for a batch size; points beyond the batch are
// run in further calls.
#pragma once

#include <memory>
#include <vector>

#include "methods/bound_method.h"
#include "verify/case_problem.h"

namespace bf {

class PointEvaluator {
 public:
  PointEvaluator(std::shared_ptr<const Graph> graph, const CaseProblem& problem, std::int64_t batch,
                 std::int64_t max_memory);

  std::int64_t batch() const { return batch_; }
  std::int64_t inputs() const { return inputs_; }
  std::int64_t rows() const { return rows_; }

  // `points`: count x inputs. values: count x rows; grads (optional): count x rows x inputs.
  void evaluate(const std::vector<double>& points, std::vector<double>& values, std::vector<double>* grads);

 private:
  std::shared_ptr<const Graph> graph_;
  Shape shape_;
  std::int64_t batch_ = 1, inputs_ = 0, rows_ = 0;
  std::unique_ptr<PreparedBounds> prepared_;
};

}  // namespace bf
