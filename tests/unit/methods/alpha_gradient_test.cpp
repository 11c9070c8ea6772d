// alpha-CROWN's gradients (bound/linear/dual.h) against central finite
// differences in f64, on the reference executor: every op with optimisable
// lines (Relu, LeakyRelu, Sigmoid, Tanh), both sides, through affine layers,
// convolutions with windows, residual Adds, pooling. And the compiled
// executor's alpha kernels against the reference executor.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "bound/linear/relaxation.h"
#include "bound/linear/sweep_steps.h"
#include "methods/crown_program.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "runtime/reference_executor.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

InputRegion region_for(const Graph& g, std::int64_t batch, double eps, DType dtype) {
  const Shape& shape = g.type(g.inputs()[0]).shape;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<double> x0(static_cast<std::size_t>(batch * numel(shape)));
  for (auto& v : x0) v = d(rng);
  return linf_ball(x0, eps, shape, dtype);
}

// The alpha program of a graph with every row of every sweep (dense
// intermediates) and no best bounds yet, its State buffers in host memory.
class AlphaHarness {
 public:
  AlphaHarness(std::shared_ptr<Graph> g, const InputRegion& region, bool compiled)
      : graph_(std::move(g)), region_(region) {
    PlannerConfig config;
    config.domain = PlanDomain::Linear;
    config.dtype = region.dtype;
    config.batch = region.batch;
    CrownProgramOptions o;
    o.intermediates = IntermediateBounds::Dense;
    o.export_intermediates = true;
    for (const auto& sw : build_crown_program(*graph_, config, o).sweeps) {
      o.fixed_rows[sw.value] = region.batch * graph_->type(sw.value).numel();
    }
    o.alpha = true;
    plan_ = std::make_unique<PlanBundle>(make_plan(graph_, build_crown_program(*graph_, config, o), config));
    if (compiled) {
      program_ = std::make_unique<CompiledProgram>(*plan_, CompileOptions{}, cache_);
    } else {
      reference_ = std::make_unique<ReferenceExecutor>(*plan_);
    }
    const StoragePlan& s = plan_->storage;
    for (const auto& spec : s.logical_buffers) {
      if (spec.scope != BufferScope::State) continue;
      state_[spec.id].assign(static_cast<std::size_t>(layout_planes(spec.layout) * spec.plane_bytes()), 0);
    }
    const double inf = std::numeric_limits<double>::infinity();
    for (const auto& sw : plan_->sweeps) {
      SweepRowsView rows(state_.at(sw.rows_buffer).data(), sw.row_capacity);
      const std::int64_t n = graph_->type(sw.value).numel();
      rows.set_count(sw.row_capacity);
      for (std::int64_t r = 0; r < sw.row_capacity; ++r) {
        rows.samples()[r] = r / n;
        rows.neurons()[r] = r % n;
        rows.slots()[r] = r;
      }
      for (const auto& [node, buffer] : sw.alpha_buffers) {
        fill(buffer, std::numeric_limits<double>::quiet_NaN());
        alpha_.push_back({sw.value, node, buffer, sw.grad_buffers.at(node)});
      }
    }
    for (const auto& spec : s.logical_buffers) {
      if (spec.scope == BufferScope::State && spec.layout == BufferLayout::Interval) {
        const std::size_t half = state_.at(spec.id).size() / 2;
        fill_range(spec.id, 0, half, -inf);
        fill_range(spec.id, half, state_.at(spec.id).size(), inf);
      }
    }
  }

  struct Alpha {
    ValueId start;
    NodeId node;
    BufferId params, grads;
  };
  const std::vector<Alpha>& alphas() const { return alpha_; }
  const PlanBundle& plan() const { return *plan_; }
  const Graph& graph() const { return *graph_; }

  // Runs once; returns every exported bound (value name -> lower, upper planes).
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> run() {
    std::vector<StateBinding> b;
    for (auto& [id, bytes] : state_) b.push_back({id, bytes.data(), true, true});
    const BoundRunResult r = program_ ? program_->run(region_, b) : reference_->run(region_, b);
    std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> out;
    for (const auto* list : {&r.outputs, &r.intermediates}) {
      for (const auto& ob : *list) out[ob.name] = {ob.lower.to_double_vector(), ob.upper.to_double_vector()};
    }
    return out;
  }

  double get(BufferId b, std::size_t i) const {
    return region_.dtype == DType::F64 ? reinterpret_cast<const double*>(state_.at(b).data())[i]
                                       : reinterpret_cast<const float*>(state_.at(b).data())[i];
  }
  void set(BufferId b, std::size_t i, double v) {
    if (region_.dtype == DType::F64) {
      reinterpret_cast<double*>(state_.at(b).data())[i] = v;
    } else {
      reinterpret_cast<float*>(state_.at(b).data())[i] = static_cast<float>(v);
    }
  }
  std::size_t count(BufferId b) const { return state_.at(b).size() / dtype_size(region_.dtype); }

 private:
  void fill(BufferId b, double v) { fill_range(b, 0, state_.at(b).size(), v); }
  void fill_range(BufferId b, std::size_t from, std::size_t to, double v) {
    const std::size_t e = dtype_size(region_.dtype);
    for (std::size_t i = from / e; i < to / e; ++i) set(b, i, v);
  }

  std::shared_ptr<Graph> graph_;
  InputRegion region_;
  std::unique_ptr<PlanBundle> plan_;
  CompileCache cache_;
  std::unique_ptr<CompiledProgram> program_;
  std::unique_ptr<ReferenceExecutor> reference_;
  std::map<BufferId, std::vector<unsigned char>> state_;
  std::vector<Alpha> alpha_;
};

struct Case {
  const char* name;
  std::shared_ptr<Graph> (*make)();
  double eps;
};

std::shared_ptr<Graph> relu_mlp() { return test::mlp_chain(3, {7, 5}, 4); }

class AlphaGradient : public ::testing::TestWithParam<Case> {};

TEST_P(AlphaGradient, MatchesCentralDifferencesInF64) {
  const Case& c = GetParam();
  auto g = c.make();
  AlphaHarness h(g, region_for(*g, 2, c.eps, DType::F64), false);
  ASSERT_FALSE(h.alphas().empty()) << c.name << " has no optimisable node";
  h.run();  // NaN parameters become CROWN's choice
  // Move every parameter off CROWN's choice (and off the clamps' corners), then let the program clamp.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> jitter(-0.15, 0.15);
  for (const auto& a : h.alphas()) {
    for (std::size_t i = 0; i < h.count(a.params); ++i) {
      const double p = h.get(a.params, i);
      if (!std::isnan(p)) h.set(a.params, i, p + jitter(rng));
    }
  }
  h.run();
  auto base = h.run();
  std::map<std::pair<BufferId, std::size_t>, double> grads;
  const double step = 1e-6;
  int checked = 0, nonzero = 0;
  std::map<OpKind, int> per_op;
  for (const auto& a : h.alphas()) {
    const BufferSpec& spec = h.plan().storage.logical_buffers[static_cast<std::size_t>(a.params)];
    const Node& node = h.graph().node(a.node);
    const std::int64_t rows = spec.shape.at(0), per_row = spec.shape.at(1);
    const std::int64_t plane = rows * per_row;
    const std::int64_t n_start = h.graph().type(a.start).numel();
    const std::string start = h.graph().value(a.start).name;
    std::uniform_int_distribution<std::int64_t> pick(0, 2 * plane - 1);
    // Random entries until a few nonzero gradients of this node were checked.
    int nonzero_here = 0;
    for (int trial = 0; trial < 400 && nonzero_here < 6; ++trial) {
      const auto i = static_cast<std::size_t>(pick(rng));
      const double p0 = h.get(a.params, i);
      if (std::isnan(p0)) continue;
      const double grad = h.get(a.grads, i);
      const int side = static_cast<std::int64_t>(i) < plane ? 0 : 1;
      const std::int64_t row = (static_cast<std::int64_t>(i) % plane) / per_row;
      const auto at = static_cast<std::size_t>((row / n_start) * n_start + row % n_start);  // sample-major, as rows
      auto bound_at = [&](double p) {
        h.set(a.params, i, p);
        auto out = h.run();
        const double written = h.get(a.params, i);
        const auto& b = out.at(start);
        return std::pair{written, side == 0 ? b.first.at(at) : b.second.at(at)};
      };
      const auto [wp, bp] = bound_at(p0 + step);
      const auto [wm, bm] = bound_at(p0 - step);
      h.set(a.params, i, p0);
      if (wp != p0 + step || wm != p0 - step) continue;  // a clamp: the parameter is at its range's end
      const double fd = (bp - bm) / (2 * step);
      EXPECT_NEAR(grad, fd, 1e-5 * (1.0 + std::fabs(fd)))
          << c.name << " node " << node.name << " side " << side << " row " << row << " entry " << i;
      ++checked;
      if (grad != 0.0) {
        ++nonzero;
        ++nonzero_here;
        ++per_op[node.op];
      }
    }
  }
  for (const auto& a : h.alphas()) {
    EXPECT_GT(per_op[h.graph().node(a.node).op], 0)
        << c.name << ": no nonzero gradient of " << op_name(h.graph().node(a.node).op) << " was checked";
  }
  std::printf("%s: %d parameters checked, %d with a nonzero gradient\n", c.name, checked, nonzero);
  EXPECT_GE(nonzero, 10) << "too few nonzero gradients: the test compares little";
  (void)base;
}

INSTANTIATE_TEST_SUITE_P(Graphs, AlphaGradient,
                         ::testing::Values(Case{"relu_mlp", &relu_mlp, 0.4},
                                           Case{"s_shaped_mlp", &test::s_shaped_mlp, 0.6},
                                           Case{"residual_conv", &test::residual_conv, 0.2},
                                           Case{"conv_chain", &test::conv_chain, 0.2}),
                         [](const auto& info) { return std::string(info.param.name); });

// Every op with optimisable lines gets a gradient somewhere above.
TEST(AlphaGradient, EveryOptimisableOpIsCovered) {
  std::set<OpKind> ops;
  for (auto make : {&relu_mlp, &test::s_shaped_mlp, &test::residual_conv, &test::conv_chain}) {
    const auto g = make();  // kept alive while its nodes are read
    for (const Node& n : g->nodes()) {
      if (alpha_params(n) > 0) ops.insert(n.op);
    }
  }
  for (OpKind op : {OpKind::Relu, OpKind::LeakyRelu, OpKind::Sigmoid, OpKind::Tanh}) {
    EXPECT_TRUE(ops.count(op)) << op_name(op) << " is in none of the test graphs";
  }
}

// The compiled executor's alpha kernels (f32) agree with the reference rules:
// bounds, written-back parameters and gradients.
TEST_P(AlphaGradient, CompiledMatchesReference) {
  const Case& c = GetParam();
  auto g = c.make();
  const InputRegion region = region_for(*g, 2, c.eps, DType::F32);
  AlphaHarness ref(g, region, false), fast(g, region, true);
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> jitter(-0.1, 0.1);
  for (int round = 0; round < 3; ++round) {
    const auto rb = ref.run();
    const auto fb = fast.run();
    for (const auto& [name, b] : rb) {
      const auto& f = fb.at(name);
      for (std::size_t i = 0; i < b.first.size(); ++i) {
        ASSERT_NEAR(f.first[i], b.first[i], 1e-4 * (1 + std::fabs(b.first[i]))) << c.name << " " << name << " " << i;
        ASSERT_NEAR(f.second[i], b.second[i], 1e-4 * (1 + std::fabs(b.second[i]))) << c.name << " " << name << " " << i;
      }
    }
    for (std::size_t k = 0; k < ref.alphas().size(); ++k) {
      const auto& a = ref.alphas()[k];
      const auto& fa = fast.alphas()[k];
      for (std::size_t i = 0; i < ref.count(a.params); ++i) {
        const double pr = ref.get(a.params, i), pf = fast.get(fa.params, i);
        ASSERT_EQ(std::isnan(pr), std::isnan(pf)) << c.name << " parameter " << i;
        if (!std::isnan(pr)) {
          ASSERT_NEAR(pf, pr, 1e-5) << c.name << " parameter " << i;
        }
        ASSERT_NEAR(fast.get(fa.grads, i), ref.get(a.grads, i), 1e-3 * (1 + std::fabs(ref.get(a.grads, i))))
            << c.name << " gradient " << i;
        // The same step on both sides.
        if (!std::isnan(pr)) {
          const double d = jitter(rng);
          ref.set(a.params, i, pr + d);
          fast.set(fa.params, i, pr + d);
        }
      }
    }
  }
}

}  // namespace
}  // namespace bf
