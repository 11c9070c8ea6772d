#include "verify/recheck.h"

#include <algorithm>
#include <cmath>

#include "runtime/forward_executor.h"

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

}  // namespace bf
