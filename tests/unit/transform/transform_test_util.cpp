#include "unit/transform/transform_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "runtime/forward_executor.h"

namespace bf::test {

Tensor RandomSource::uniform(DType dtype, const Shape& shape, double lo, double hi) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(numel(shape)));
  for (double& x : v) x = dist(rng_);
  return Tensor::from_vector<double>(shape, v).cast(dtype);
}

Tensor RandomSource::away_from_zero(DType dtype, const Shape& shape, double lo, double hi, double margin) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(numel(shape)));
  for (double& x : v) {
    do {
      x = dist(rng_);
    } while (std::abs(x) < margin);
  }
  return Tensor::from_vector<double>(shape, v).cast(dtype);
}

ValueId add_random_constant(Graph& g, RandomSource& rnd, const std::string& name, DType dtype, const Shape& shape,
                            double lo, double hi) {
  return g.add_constant(name, rnd.uniform(dtype, shape, lo, hi));
}

int count_ops(const Graph& g, OpKind op) {
  return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(), [&](const Node& n) { return n.op == op; }));
}

std::string op_sequence(const Graph& g) {
  std::string out;
  for (const auto& n : g.nodes()) {
    if (!out.empty()) out += ",";
    out += op_name(n.op);
  }
  return out;
}

Equivalence tolerance_for(DType compute) {
  Equivalence eq;
  eq.compute = compute;
  if (compute == DType::F64) {
    eq.rtol = 1e-11;
    eq.atol = 1e-12;
  }
  return eq;
}

double expect_equivalent(const Graph& before, const Graph& after, const Equivalence& eq) {
  EXPECT_EQ(before.inputs().size(), after.inputs().size());
  EXPECT_EQ(before.outputs().size(), after.outputs().size());
  if (before.inputs().size() != after.inputs().size() || before.outputs().size() != after.outputs().size()) return 0;
  RandomSource rnd(eq.seed);
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < before.inputs().size(); ++i) {
    const TensorType& t = before.type(before.inputs()[i]);
    EXPECT_EQ(t, after.type(after.inputs()[i])) << "input " << i << " changed type";
    Shape batched = t.shape;
    batched.insert(batched.begin(), eq.batch);
    inputs.push_back(rnd.uniform(t.dtype, batched, eq.lo, eq.hi));
  }
  ForwardOptions options;
  options.compute = eq.compute;
  options.batch = eq.batch;
  std::vector<Tensor> ya = run_forward(before, inputs, options);
  std::vector<Tensor> yb = run_forward(after, inputs, options);
  double worst = 0;
  for (std::size_t o = 0; o < ya.size() && o < yb.size(); ++o) {
    EXPECT_EQ(ya[o].shape(), yb[o].shape()) << "output " << o;
    if (ya[o].shape() != yb[o].shape()) continue;
    if (eq.exact) {
      EXPECT_TRUE(ya[o].bitwise_equal(yb[o])) << "output " << o << " is not bitwise identical";
    }
    std::vector<double> a = ya[o].to_double_vector(), b = yb[o].to_double_vector();
    // One failure per output, naming the first few elements out of tolerance.
    std::string first;
    int mismatches = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      double diff = std::abs(a[i] - b[i]);
      worst = std::max(worst, diff);
      if (!(diff <= eq.atol + eq.rtol * std::abs(a[i])) && mismatches++ < 5) {
        std::ostringstream line;
        line.precision(17);
        line << "\n  element " << i << ": before " << a[i] << " after " << b[i] << " (|diff| " << diff << ")";
        first += line.str();
      }
    }
    if (mismatches > 0) {
      ADD_FAILURE() << "output " << o << ": " << mismatches << " of " << a.size() << " elements differ beyond atol "
                    << eq.atol << " + rtol " << eq.rtol << first;
    }
  }
  return worst;
}

}  // namespace bf::test
