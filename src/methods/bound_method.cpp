#include "methods/bound_method.h"

#include <cmath>

#include "bound/linear_spec.h"
#include "methods/crown_program.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "runtime/reference_executor.h"
#include "support/error.h"

namespace bf {

const char* executor_kind_name(ExecutorKind k) { return k == ExecutorKind::Compiled ? "compiled" : "reference"; }

std::shared_ptr<const Graph> bounded_graph(const BoundRequest& request) {
  BF_CHECK(request.graph != nullptr, ErrorKind::Internal, "bound request without a graph");
  if (!request.spec) return request.graph;
  return with_linear_spec(*request.graph, *request.spec, request.fuse_spec);
}

void check_no_nan(const std::vector<OutputBounds>& bounds) {
  for (const auto& o : bounds) {
    auto lo = o.lower.to_double_vector();
    auto hi = o.upper.to_double_vector();
    for (std::size_t i = 0; i < lo.size(); ++i) {
      BF_CHECK(!std::isnan(lo[i]) && !std::isnan(hi[i]), ErrorKind::Invalid,
               "bound {} of '{}' is NaN: the network overflows on this input region", i, o.name);
    }
  }
}

namespace {

PlannerConfig config_for(const BoundRequest& r, PlanDomain domain) {
  PlannerConfig c = r.planner;
  c.domain = domain;
  c.dtype = r.region.dtype;
  c.batch = r.region.batch;
  return c;
}

// Runs a plan on the requested executor and checks the result.
BoundResult run_plan(std::shared_ptr<const PlanBundle> plan, const BoundRequest& r) {
  BoundResult result;
  result.plan = plan;
  result.executor = executor_kind_name(r.executor);
  BoundRunResult run;
  if (r.executor == ExecutorKind::Reference) {
    ReferenceExecutor executor(*plan);
    run = executor.run(r.region);
  } else {
    CompileCache& cache = r.cache != nullptr ? *r.cache : CompileCache::global();
    auto program = std::make_shared<CompiledProgram>(*plan, r.compile, cache);
    run = program->run(r.region);
    result.program = program;
  }
  check_no_nan(run.outputs);
  check_no_nan(run.intermediates);
  result.outputs = std::move(run.outputs);
  result.intermediates = std::move(run.intermediates);
  result.stats = run.stats;
  return result;
}

class IbpMethod final : public BoundMethod {
 public:
  std::string name() const override { return "ibp"; }

  PlanBundle plan(const BoundRequest& r) const override {
    PlannerConfig c = config_for(r, PlanDomain::Interval);
    c.export_intermediates = r.export_intermediates;
    return make_plan(bounded_graph(r), c);
  }

  BoundResult compute(const BoundRequest& r) const override {
    return run_plan(std::make_shared<const PlanBundle>(plan(r)), r);
  }
};

class CrownMethod final : public BoundMethod {
 public:
  explicit CrownMethod(bool ibp_intermediates) : ibp_intermediates_(ibp_intermediates) {}
  std::string name() const override { return ibp_intermediates_ ? "crown-ibp" : "crown"; }

  PlanBundle plan(const BoundRequest& r) const override {
    const PlannerConfig c = config_for(r, PlanDomain::Linear);
    auto graph = bounded_graph(r);
    CrownProgramOptions o;
    o.intermediates = ibp_intermediates_      ? IntermediateBounds::Ibp
                      : r.dense_intermediates ? IntermediateBounds::Dense
                                              : IntermediateBounds::Crown;
    o.lower = r.lower;
    o.upper = r.upper;
    o.export_intermediates = r.export_intermediates;
    return make_plan(graph, build_crown_program(*graph, c, o), c);
  }

  BoundResult compute(const BoundRequest& r) const override {
    return run_plan(std::make_shared<const PlanBundle>(plan(r)), r);
  }

 private:
  bool ibp_intermediates_;
};

}  // namespace

const std::vector<std::string>& bound_method_names() {
  static const std::vector<std::string> names = {"ibp", "crown", "crown-ibp"};
  return names;
}

std::unique_ptr<BoundMethod> make_bound_method(const std::string& name) {
  if (name == "ibp") return std::make_unique<IbpMethod>();
  if (name == "crown") return std::make_unique<CrownMethod>(false);
  if (name == "crown-ibp") return std::make_unique<CrownMethod>(true);
  fail(ErrorKind::Usage, "unknown bound method '{}' (expected ibp, crown or crown-ibp)", name);
}

}  // namespace bf
