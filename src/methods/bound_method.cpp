#include "methods/bound_method.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "bound/linear_spec.h"
#include "methods/alpha_crown.h"
#include "methods/crown_program.h"
#include "methods/memory_budget.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "runtime/reference_executor.h"
#include "support/error.h"

namespace bf {

const char* executor_kind_name(ExecutorKind k) { return k == ExecutorKind::Compiled ? "compiled" : "reference"; }

std::shared_ptr<const Graph> bounded_graph(const BoundRequest& request) {
  BF_CHECK(request.graph != nullptr, ErrorKind::Internal, "bound request without a graph");
  // Folding C into the last layer rounds its product: not the graph's constants.
  BF_CHECK(!(request.sound_fp && request.fuse_spec), ErrorKind::Usage,
           "--fuse-spec cannot be combined with sound floating point (the folded weights are rounded)");
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

PlannerConfig config_for(const BoundRequest& r, PlanDomain domain, std::int64_t batch) {
  PlannerConfig c = r.planner;
  c.domain = domain;
  c.dtype = r.region.dtype;
  c.batch = batch;
  c.sound_fp = r.sound_fp;
  return c;
}

// Samples [first, first + count) of a region.
InputRegion slice_region(const InputRegion& r, std::int64_t first, std::int64_t count) {
  if (first == 0 && count == r.batch) return r;
  InputRegion s;
  s.dtype = r.dtype;
  s.shape = r.shape;
  s.batch = count;
  const std::int64_t n = numel(r.shape);
  const std::size_t elem = dtype_size(r.dtype);
  s.lower = Tensor(r.dtype, {count * n});
  s.upper = Tensor(r.dtype, {count * n});
  std::memcpy(s.lower.raw_mutable_data(), static_cast<const char*>(r.lower.raw_data()) + first * n * elem,
              static_cast<std::size_t>(count * n) * elem);
  std::memcpy(s.upper.raw_mutable_data(), static_cast<const char*>(r.upper.raw_data()) + first * n * elem,
              static_cast<std::size_t>(count * n) * elem);
  return s;
}

// Appends `part`'s samples to `all` (same values, in sample order).
void append_samples(std::vector<OutputBounds>& all, std::vector<OutputBounds> part) {
  if (all.empty()) {
    all = std::move(part);
    return;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    OutputBounds& a = all[i];
    const OutputBounds& p = part.at(i);
    const std::int64_t n = a.lower.numel() + p.lower.numel();
    for (Tensor* t : {&a.lower, &a.upper}) {
      const Tensor& extra = t == &a.lower ? p.lower : p.upper;
      Tensor joined(t->dtype(), {n});
      std::memcpy(joined.raw_mutable_data(), t->raw_data(), t->nbytes());
      std::memcpy(static_cast<char*>(joined.raw_mutable_data()) + t->nbytes(), extra.raw_data(), extra.nbytes());
      *t = joined;
    }
    a.batch += p.batch;
  }
}

namespace {

// A method that plans for a given batch and chunking.
using PlanFn = std::function<PlanBundle(const BoundRequest&, std::int64_t batch, const Chunking&)>;

// The sweeps of a plan as the chunking sees them: rows per sample, bytes per row.
std::vector<SweepCost> sweep_costs(const PlanBundle& plan) {
  std::vector<SweepCost> costs;
  for (std::size_t i = 0; i < plan.sweeps.size(); ++i) {
    const SweepInfo& sw = plan.sweeps[i];
    SweepCost c;
    c.start = sw.value;
    c.rows_per_sample = sw.row_capacity / plan.config.batch;
    for (const auto& spec : plan.storage.logical_buffers) {
      // Row lists and State buffers (alpha's parameters for every row) do not shrink with the chunks.
      if (spec.sweep != static_cast<std::int32_t>(i) || spec.layout == BufferLayout::Raw ||
          spec.scope == BufferScope::State) {
        continue;
      }
      c.bytes_per_row += spec.bytes / std::max<std::int64_t>(1, sw.rows_per_chunk);
    }
    costs.push_back(c);
  }
  return costs;
}

// What a plan needs before compiling: its most bytes alive at once, with room
// for the static planner's slack and kernel scratch.
std::int64_t plan_estimate(const PlanBundle& plan) {
  const std::int64_t live = plan.liveness ? plan.liveness->lower_bound_bytes : 0;
  return live + live / 4;
}

// A method fitted to a request's batch and budget: the chunking chosen, the
// plans (and programs) for each sub-batch size compiled once, run many times.
class BudgetedBounds final : public PreparedBounds {
 public:
  BudgetedBounds(const BoundRequest& r, PlanFn plan_for) : request_(r), plan_for_(std::move(plan_for)) {
    BF_CHECK(r.max_rows_per_chunk >= 1, ErrorKind::Usage, "max rows per chunk must be at least 1 (got {})",
             r.max_rows_per_chunk);
    BF_CHECK(r.chunk_cache_bytes >= 0, ErrorKind::Usage, "chunk cache bytes must not be negative (got {})",
             r.chunk_cache_bytes);
    const bool given = r.max_memory > 0;
    budget_ = given ? r.max_memory : default_memory_budget();
    budget_name_ = given ? "--max-memory" : "the default memory budget (60% of available memory)";
    batch_ = r.region.batch;
    costs_ = sweep_costs(plan_for_(r, batch_, Chunking{batch_, {}}));
    try {
      chunking_ = choose_chunking(budget_, budget_name_, batch_, row_caps(), costs_,
                                  [&](const Chunking& c) { return plan_estimate(plan_for_(request_, c.batch, c)); });
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Usage) throw;
      too_small();
    }
    // Compile every sub-batch size now (checking the budget), so runs only run.
    while (!prepare_all()) {
    }
  }

  const PlanBundle& plan() const override { return *compiled_.at(std::min(chunking_.batch, batch_)).plan; }
  const CompiledProgram* program() const override {
    return compiled_.at(std::min(chunking_.batch, batch_)).program.get();
  }

  BoundResult run(const InputRegion& region) override {
    BF_CHECK(region.batch == batch_ && region.dtype == request_.region.dtype, ErrorKind::Usage,
             "prepared for {} x{}, given {} x{}", dtype_name(request_.region.dtype), batch_, dtype_name(region.dtype),
             region.batch);
    BoundResult result;
    result.executor = executor_kind_name(request_.executor);
    for (std::int64_t first = 0; first < batch_; first += chunking_.batch) {
      const std::int64_t sub = std::min(chunking_.batch, batch_ - first);
      const Entry& e = compiled_.at(sub);
      const InputRegion part = slice_region(region, first, sub);
      // The exported input coefficients: a State buffer, bound to memory here.
      std::vector<StateBinding> state;
      std::vector<unsigned char> coeff;
      const BufferId export_buffer = e.plan->sweeps.empty() ? -1 : e.plan->sweeps.back().export_buffer;
      if (export_buffer >= 0) {
        const BufferSpec& sp = e.plan->storage.logical_buffers[static_cast<std::size_t>(export_buffer)];
        coeff.assign(static_cast<std::size_t>(2 * sp.plane_bytes()), 0);
        state.push_back({export_buffer, coeff.data(), false, true});
      }
      BoundRunResult run;
      if (e.program) {
        run = e.program->run(part, state);
        result.program = e.program;
        result.planned_bytes = std::max(result.planned_bytes, e.program->planned_bytes());
      } else {
        ReferenceExecutor executor(*e.plan);
        run = executor.run(part, state);
      }
      if (export_buffer >= 0) {
        const std::size_t half = coeff.size() / 2;
        for (int side = 0; side < 2; ++side) {
          Tensor& all = side == 0 ? result.coeff_lower : result.coeff_upper;
          const std::size_t before = all.defined() ? all.nbytes() : 0;
          Tensor joined(region.dtype, {static_cast<std::int64_t>((before + half) / dtype_size(region.dtype))});
          if (before > 0) std::memcpy(joined.raw_mutable_data(), all.raw_data(), before);
          std::memcpy(static_cast<char*>(joined.raw_mutable_data()) + before, coeff.data() + side * half, half);
          all = joined;
        }
      }
      check_no_nan(run.outputs);
      check_no_nan(run.intermediates);
      append_samples(result.outputs, std::move(run.outputs));
      append_samples(result.intermediates, std::move(run.intermediates));
      result.stats.memory.peak_bytes = std::max(result.stats.memory.peak_bytes, run.stats.memory.peak_bytes);
      result.stats.memory.allocations += run.stats.memory.allocations;
      result.stats.scratch.peak_bytes = std::max(result.stats.scratch.peak_bytes, run.stats.scratch.peak_bytes);
      result.stats.scratch.allocations += run.stats.scratch.allocations;
      result.stats.prepared_param_bytes = std::max(result.stats.prepared_param_bytes, run.stats.prepared_param_bytes);
      result.stats.run_ms += run.stats.run_ms;
      result.plan = e.plan;
    }
    result.chunking = chunking_;
    result.budget_bytes = budget_;
    return result;
  }

 private:
  struct Entry {
    std::shared_ptr<const PlanBundle> plan;
    std::shared_ptr<CompiledProgram> program;
  };

  // Plans and compiles each sub-batch size; false when a program came out over
  // the budget and the chunking was cut further (start again).
  bool prepare_all() {
    compiled_.clear();
    std::vector<std::int64_t> sizes = {std::min(chunking_.batch, batch_)};
    if (batch_ % chunking_.batch != 0) sizes.push_back(batch_ % chunking_.batch);
    CompileCache& cache = request_.cache != nullptr ? *request_.cache : CompileCache::global();
    for (std::int64_t sub : sizes) {
      Chunking c = chunking_;
      c.batch = sub;
      auto plan = std::make_shared<const PlanBundle>(plan_for_(request_, sub, c));
      std::shared_ptr<CompiledProgram> program;
      if (request_.executor == ExecutorKind::Compiled) {
        program = std::make_shared<CompiledProgram>(*plan, request_.compile, cache);
        if (program->planned_bytes() > budget_) {
          // The estimate was short (kernel scratch, prepared weights): cut further.
          if (shrink_largest_sweep(chunking_, costs_)) return false;
          if (chunking_.batch == 1) too_small();
          chunking_.batch = (chunking_.batch + 1) / 2;
          for (const auto& cost : costs_) {
            chunking_.rows_per_chunk[cost.start] = capped_rows(cost, chunking_.batch, row_caps());
          }
          return false;
        }
      }
      compiled_[sub] = Entry{plan, program};
    }
    return true;
  }

  RowCaps row_caps() const { return RowCaps{request_.max_rows_per_chunk, request_.chunk_cache_bytes}; }

  // The budget cannot hold even one sample and one row at a time: name what
  // that smallest computation needs (its compiled program, weights included).
  [[noreturn]] void too_small() {
    Chunking c{1, {}};
    for (const auto& cost : costs_) c.rows_per_chunk[cost.start] = 1;
    const PlanBundle plan = plan_for_(request_, 1, c);
    std::int64_t needed = plan_estimate(plan);
    if (request_.executor == ExecutorKind::Compiled) {
      CompileCache& cache = request_.cache != nullptr ? *request_.cache : CompileCache::global();
      needed = std::max(needed, CompiledProgram(plan, request_.compile, cache).planned_bytes());
    }
    fail(ErrorKind::Usage, "{} {} is too small: this computation needs at least {} (one sample, one row at a time)",
         budget_name_, format_bytes(budget_), format_bytes(needed));
  }

  BoundRequest request_;
  PlanFn plan_for_;
  std::int64_t budget_ = 0, batch_ = 1;
  std::string budget_name_;
  std::vector<SweepCost> costs_;
  Chunking chunking_;
  std::map<std::int64_t, Entry> compiled_;
};

class IbpMethod final : public BoundMethod {
 public:
  std::string name() const override { return "ibp"; }

  std::unique_ptr<PreparedBounds> prepare(const BoundRequest& r) const override {
    BF_CHECK(!r.sound_fp, ErrorKind::Usage,
             "sound floating point is implemented for the linear methods (crown, crown-ibp, alpha-crown), not ibp");
    return std::make_unique<BudgetedBounds>(
        r, [](const BoundRequest& req, std::int64_t batch, const Chunking&) { return plan_for(req, batch); });
  }

 private:
  static PlanBundle plan_for(const BoundRequest& r, std::int64_t batch) {
    PlannerConfig c = config_for(r, PlanDomain::Interval, batch);
    c.export_intermediates = r.export_intermediates;
    return make_plan(bounded_graph(r), c);
  }
};

class CrownMethod final : public BoundMethod {
 public:
  explicit CrownMethod(bool ibp_intermediates) : ibp_intermediates_(ibp_intermediates) {}
  std::string name() const override { return ibp_intermediates_ ? "crown-ibp" : "crown"; }

  std::unique_ptr<PreparedBounds> prepare(const BoundRequest& r) const override {
    auto graph = bounded_graph(r);
    return std::make_unique<BudgetedBounds>(
        r, [this, graph](const BoundRequest& req, std::int64_t batch, const Chunking& c) {
          return plan_for(req, batch, c, graph);
        });
  }

 private:
  PlanBundle plan_for(const BoundRequest& r, std::int64_t batch, const Chunking& chunking,
                      std::shared_ptr<const Graph> graph = nullptr) const {
    const PlannerConfig c = config_for(r, PlanDomain::Linear, batch);
    if (!graph) graph = bounded_graph(r);
    CrownProgramOptions o;
    o.intermediates = ibp_intermediates_      ? IntermediateBounds::Ibp
                      : r.dense_intermediates ? IntermediateBounds::Dense
                                              : IntermediateBounds::Crown;
    o.lower = r.lower;
    o.upper = r.upper;
    o.export_intermediates = r.export_intermediates;
    o.rows_per_chunk = chunking.rows_per_chunk;
    o.export_input_coefficients = r.export_input_coefficients;
    return make_plan(graph, build_crown_program(*graph, c, o), c);
  }

  bool ibp_intermediates_;
};

}  // namespace

BoundResult BoundMethod::compute(const BoundRequest& request) const { return prepare(request)->run(request.region); }

const std::vector<std::string>& bound_method_names() {
  static const std::vector<std::string> names = {"ibp", "crown", "crown-ibp", "alpha-crown"};
  return names;
}

std::unique_ptr<BoundMethod> make_bound_method(const std::string& name) {
  if (name == "ibp") return std::make_unique<IbpMethod>();
  if (name == "crown") return std::make_unique<CrownMethod>(false);
  if (name == "crown-ibp") return std::make_unique<CrownMethod>(true);
  if (name == "alpha-crown") return make_alpha_crown_method();
  fail(ErrorKind::Usage, "unknown bound method '{}' (expected ibp, crown, crown-ibp or alpha-crown)", name);
}

}  // namespace bf
