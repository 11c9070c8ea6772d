#include "methods/alpha_crown.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <type_traits>

#include "bound/linear/relaxation.h"
#include "bound/linear/sweep_steps.h"
#include "methods/adam.h"
#include "methods/crown_program.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "runtime/reference_executor.h"
#include "support/error.h"
#include "support/timer.h"

namespace bf {
namespace {

// Every sample's lower bounds at or above the per-element targets (none: false).
bool reached(const std::vector<double>& target, const std::vector<double>& lower) {
  if (target.empty() || lower.size() % target.size() != 0) return false;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if (!(lower[i] >= target[i % target.size()])) return false;
  }
  return true;
}

void check_options(const AlphaOptions& o) {
  BF_CHECK(o.iterations >= 0 && o.iterations <= 100000, ErrorKind::Usage,
           "--iterations: must be a whole number from 0 to 100000 (got {})", o.iterations);
  BF_CHECK(std::isfinite(o.lr) && o.lr > 0.0 && o.lr <= 1e6, ErrorKind::Usage,
           "--lr: must be a finite number > 0 (got {})", o.lr);
  BF_CHECK(std::isfinite(o.lr_decay) && o.lr_decay > 0.0 && o.lr_decay <= 1.0, ErrorKind::Usage,
           "--lr-decay: must be a number in (0, 1] (got {})", o.lr_decay);
  BF_CHECK(o.early_stop >= 0, ErrorKind::Usage, "--early-stop: must be a whole number >= 0 (got {})", o.early_stop);
}

// Host memory of one State buffer, copied in and out of every run.
struct StateBuffer {
  BufferId id = -1;
  std::vector<unsigned char> bytes;
  bool in = true;
};

// One sample slice's optimisation: the alpha program compiled for its rows,
// the state, and Adam's moments.
template <typename T>
class Optimiser {
 public:
  Optimiser(const BoundRequest& request, std::shared_ptr<const Graph> graph, const InputRegion& region,
            const BoundResult& crown, std::int64_t rows_cap)
      : request_(request), graph_(std::move(graph)), region_(region) {
    const Graph& g = *graph_;
    // The rows: every element of the output; an intermediate value's
    // unstable elements by CROWN (Unstable sweeps) or all of them.
    std::map<std::string, const OutputBounds*> crown_bounds;
    for (const auto& ob : crown.intermediates) crown_bounds[ob.name] = &ob;
    const ValueId out = g.outputs()[0];
    crown_bounds[g.value(out).name] = &crown.outputs[0];
    // A CROWN program of the same options tells which sweeps there are and their row policy.
    PlannerConfig config = config_for(request_, PlanDomain::Linear, region.batch);
    CrownProgramOptions probe = base_options();
    probe.alpha = false;
    const BoundProgram crown_program = build_crown_program(g, config, probe);
    for (const auto& sw : crown_program.sweeps) {
      const OutputBounds* b = crown_bounds.at(g.value(sw.value).name);
      const auto lo = b->lower.to_double_vector(), hi = b->upper.to_double_vector();
      const std::int64_t n = g.type(sw.value).numel();
      std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // (sample, neuron)
      for (std::int64_t s = 0; s < region.batch; ++s) {
        for (std::int64_t k = 0; k < n; ++k) {
          const auto i = static_cast<std::size_t>(s * n + k);
          if (sw.rows == SweepRows::Unstable && !(lo[i] < 0.0 && hi[i] > 0.0)) continue;
          rows.emplace_back(s, k);
        }
      }
      rows_[sw.value] = std::move(rows);
      best_init_[sw.value] = b;
    }
    CrownProgramOptions o = base_options();
    o.alpha = true;
    o.export_intermediates = true;
    for (const auto& [v, rows] : rows_) {
      o.fixed_rows[v] = static_cast<std::int64_t>(rows.size());
      o.rows_per_chunk[v] = std::clamp<std::int64_t>(rows_cap, 1, std::max<std::int64_t>(1, rows.size()));
    }
    CrownProgramInfo info;
    plan_ = std::make_shared<PlanBundle>(make_plan(graph_, build_crown_program(g, config, o, &info), config));
    best_buffers_ = info.best_buffers;
    if (request_.executor == ExecutorKind::Compiled) {
      CompileCache& cache = request_.cache != nullptr ? *request_.cache : CompileCache::global();
      program_ = std::make_shared<CompiledProgram>(*plan_, request_.compile, cache);
    } else {
      reference_ = std::make_unique<ReferenceExecutor>(*plan_);
    }
    init_state();
  }

  std::int64_t planned_bytes() const {
    std::int64_t state = 0;
    for (const auto& sb : state_) state += static_cast<std::int64_t>(sb.bytes.size());
    // Adam's moments: two per parameter, in double.
    const std::int64_t moments = 2 * static_cast<std::int64_t>(sizeof(double)) * parameters_;
    return (program_ ? program_->planned_bytes() : 0) + state + moments;
  }

  BoundResult optimise(const BoundResult& crown, AlphaReport& report) {
    const AlphaOptions& opt = request_.alpha;
    // Adam's moments, in the parameters' dtype.
    std::vector<Adam<T>> adam;
    for (std::size_t a = 0; a < alpha_.size(); ++a) adam.emplace_back(count_of(alpha_[a]));
    BoundRunResult last;
    last.outputs = crown.outputs;
    std::vector<double> best_lo = crown.outputs[0].lower.to_double_vector();
    std::vector<double> best_hi = crown.outputs[0].upper.to_double_vector();
    int since_improved = 0;
    double lr = opt.lr;
    Stopwatch watch;
    for (int it = 0; it < opt.iterations; ++it) {
      std::vector<StateBinding> bindings;
      for (auto& sb : state_) bindings.push_back({sb.id, sb.bytes.data(), sb.in, true});
      BoundRunResult run = program_ ? program_->run(region_, bindings) : reference_->run(region_, bindings);
      check_no_nan(run.outputs);
      check_no_nan(run.intermediates);
      ++report.iterations;
      // The run kept the best bound per row: carry the intermediates over.
      for (const auto& ob : run.intermediates) {
        const auto vid = graph_->find_value(ob.name);
        if (!vid) continue;
        auto it_best = best_buffers_.find(*vid);
        if (it_best == best_buffers_.end()) continue;
        StateBuffer& sb = state_of(it_best->second);
        std::memcpy(sb.bytes.data(), ob.lower.raw_data(), ob.lower.nbytes());
        std::memcpy(sb.bytes.data() + ob.lower.nbytes(), ob.upper.raw_data(), ob.upper.nbytes());
      }
      {
        const ValueId out = graph_->outputs()[0];
        StateBuffer& sb = state_of(best_buffers_.at(out));
        const OutputBounds& ob = run.outputs[0];
        std::memcpy(sb.bytes.data(), ob.lower.raw_data(), ob.lower.nbytes());
        std::memcpy(sb.bytes.data() + ob.lower.nbytes(), ob.upper.raw_data(), ob.upper.nbytes());
        const auto lo = ob.lower.to_double_vector(), hi = ob.upper.to_double_vector();
        bool improved = false;
        for (std::size_t i = 0; i < lo.size(); ++i) {
          improved |= lo[i] > best_lo[i] || hi[i] < best_hi[i];
          best_lo[i] = std::max(best_lo[i], lo[i]);
          best_hi[i] = std::min(best_hi[i], hi[i]);
        }
        since_improved = improved ? 0 : since_improved + 1;
      }
      last = std::move(run);
      drop_stable_rows();
      // Adam: ascent on the lower side's parameters, descent on the upper side's.
      // A parameter not shaping a line (NaN: CROWN's choice, zero gradient) stays NaN.
      for (std::size_t a = 0; a < alpha_.size(); ++a) {
        T* p = typed(state_of(alpha_[a]));
        const T* g = typed(state_of(grad_[a]));
        const std::size_t n = count_of(alpha_[a]), half = n / 2;
        adam[a].update(p, g, 0, half, T(1), it, lr);
        adam[a].update(p, g, half, n, T(-1), it, lr);
      }
      lr *= opt.lr_decay;
      if (reached(opt.stop_at_lower, best_lo) || (opt.early_stop > 0 && since_improved >= opt.early_stop)) {
        report.stopped_early = true;
        break;
      }
    }
    if (report.iterations > 0) report.ms_per_iteration = watch.elapsed_ms() / report.iterations;
    BoundResult r;
    r.outputs = last.outputs;
    r.intermediates = last.intermediates;
    r.plan = plan_;
    r.program = program_;
    r.planned_bytes = planned_bytes();
    r.stats = last.stats;
    r.alpha = values();
    return r;
  }

  std::int64_t warm_started() const { return warm_started_; }

 private:
  // A row of an Unstable sweep whose neuron the best bounds now show stable
  // needs no more work: its relaxation is exact from here on (bounds only
  // tighten). Its parameters keep their slot.
  void drop_stable_rows() {
    const Graph& g = *graph_;
    for (const auto& sw : plan_->sweeps) {
      if (sw.rows != SweepRows::Unstable) continue;
      const auto& all = rows_.at(sw.value);
      StateBuffer& best = state_of(best_buffers_.at(sw.value));
      const std::int64_t n = g.type(sw.value).numel();
      const T* lo = typed(best);
      const T* hi = lo + region_.batch * n;
      SweepRowsView view(state_of(sw.rows_buffer).bytes.data(), sw.row_capacity);
      std::int64_t count = 0;
      for (std::size_t i = 0; i < all.size(); ++i) {
        const std::int64_t k = all[i].first * n + all[i].second;
        if (!(lo[k] < T(0) && hi[k] > T(0))) continue;
        view.samples()[count] = all[i].first;
        view.neurons()[count] = all[i].second;
        view.slots()[count] = static_cast<std::int64_t>(i);
        ++count;
      }
      view.set_count(count);
    }
  }

  CrownProgramOptions base_options() const {
    CrownProgramOptions o;
    o.intermediates = request_.dense_intermediates ? IntermediateBounds::Dense : IntermediateBounds::Crown;
    o.lower = request_.lower;
    o.upper = request_.upper;
    o.export_intermediates = true;
    return o;
  }

  StateBuffer& state_of(BufferId b) {
    for (auto& sb : state_) {
      if (sb.id == b) return sb;
    }
    fail(ErrorKind::Internal, "State buffer {} not bound", b);
  }
  static T* typed(StateBuffer& sb) { return reinterpret_cast<T*>(sb.bytes.data()); }
  std::size_t count_of(BufferId b) { return state_of(b).bytes.size() / sizeof(T); }

  void init_state() {
    const StoragePlan& s = plan_->storage;
    for (const auto& spec : s.logical_buffers) {
      if (spec.scope != BufferScope::State) continue;
      StateBuffer sb;
      sb.id = spec.id;
      sb.bytes.assign(static_cast<std::size_t>(layout_planes(spec.layout) * spec.plane_bytes()), 0);
      state_.push_back(std::move(sb));
    }
    const Graph& g = *graph_;
    for (const auto& sw : plan_->sweeps) {
      // The row list.
      const auto& rows = rows_.at(sw.value);
      SweepRowsView view(state_of(sw.rows_buffer).bytes.data(), sw.row_capacity);
      view.set_count(static_cast<std::int64_t>(rows.size()));
      for (std::size_t r = 0; r < rows.size(); ++r) {
        view.samples()[r] = rows[r].first;
        view.neurons()[r] = rows[r].second;
        view.slots()[r] = static_cast<std::int64_t>(r);
      }
      // The best bounds so far: CROWN's.
      const OutputBounds* b = best_init_.at(sw.value);
      StateBuffer& best = state_of(best_buffers_.at(sw.value));
      std::memcpy(best.bytes.data(), b->lower.raw_data(), b->lower.nbytes());
      std::memcpy(best.bytes.data() + b->lower.nbytes(), b->upper.raw_data(), b->upper.nbytes());
      // Parameters: warm start where the rows match, else NaN (CROWN's choice).
      for (const auto& [node, buffer] : sw.alpha_buffers) {
        alpha_.push_back(buffer);
        grad_.push_back(sw.grad_buffers.at(node));
        state_of(sw.grad_buffers.at(node)).in = false;
        StateBuffer& sb = state_of(buffer);
        T* p = typed(sb);
        const std::size_t n = sb.bytes.size() / sizeof(T);
        std::fill(p, p + n, std::numeric_limits<T>::quiet_NaN());
        parameters_ += static_cast<std::int64_t>(n);
        const BufferSpec& spec = s.logical_buffers[static_cast<std::size_t>(buffer)];
        const std::int64_t per_row_side = spec.shape.at(1), plane = spec.plane_elements();
        keys_.push_back({g.value(sw.value).name, g.node(node).name});
        layouts_.push_back({buffer, per_row_side, plane, sw.value});
        if (!request_.alpha_init) continue;
        auto it = request_.alpha_init->params.find(keys_.back());
        if (it == request_.alpha_init->params.end() || it->second.per_row != 2 * per_row_side) continue;
        std::map<std::pair<std::int64_t, std::int64_t>, std::size_t> given;
        for (std::size_t r = 0; r < it->second.samples.size(); ++r)
          given[{it->second.samples[r], it->second.neurons[r]}] = r;
        for (std::size_t r = 0; r < rows.size(); ++r) {
          auto g_it = given.find(rows[r]);
          if (g_it == given.end()) continue;
          const double* src = it->second.values.data() + g_it->second * static_cast<std::size_t>(2 * per_row_side);
          for (int side = 0; side < 2; ++side) {
            for (std::int64_t e = 0; e < per_row_side; ++e) {
              p[side * plane + static_cast<std::int64_t>(r) * per_row_side + e] =
                  static_cast<T>(src[side * per_row_side + e]);
            }
          }
          ++warm_started_;
        }
      }
    }
  }

  std::shared_ptr<const AlphaValues> values() {
    auto out = std::make_shared<AlphaValues>();
    for (std::size_t a = 0; a < alpha_.size(); ++a) {
      const auto& [buffer, per_row_side, plane, start] = layouts_[a];
      const auto& rows = rows_.at(start);
      AlphaRows ar;
      ar.per_row = 2 * per_row_side;
      const T* p = typed(state_of(buffer));
      for (std::size_t r = 0; r < rows.size(); ++r) {
        ar.samples.push_back(rows[r].first);
        ar.neurons.push_back(rows[r].second);
        for (int side = 0; side < 2; ++side) {
          for (std::int64_t e = 0; e < per_row_side; ++e) {
            ar.values.push_back(static_cast<double>(p[side * plane + static_cast<std::int64_t>(r) * per_row_side + e]));
          }
        }
      }
      out->params[keys_[a]] = std::move(ar);
    }
    return out;
  }

  struct Layout {
    BufferId buffer;
    std::int64_t per_row_side, plane;
    ValueId start;
  };

  const BoundRequest& request_;
  std::shared_ptr<const Graph> graph_;
  InputRegion region_;
  std::map<ValueId, std::vector<std::pair<std::int64_t, std::int64_t>>> rows_;
  std::map<ValueId, const OutputBounds*> best_init_;
  std::map<ValueId, BufferId> best_buffers_;
  std::shared_ptr<PlanBundle> plan_;
  std::shared_ptr<CompiledProgram> program_;
  std::unique_ptr<ReferenceExecutor> reference_;
  std::vector<StateBuffer> state_;
  std::vector<BufferId> alpha_, grad_;
  std::vector<std::pair<std::string, std::string>> keys_;
  std::vector<Layout> layouts_;
  std::int64_t parameters_ = 0, warm_started_ = 0;
};

class AlphaPrepared final : public PreparedBounds {
 public:
  explicit AlphaPrepared(const BoundRequest& r) : request_(r) {
    check_options(r.alpha);
    BF_CHECK(r.region.dtype == DType::F32 || r.region.dtype == DType::F64, ErrorKind::Unsupported,
             "alpha-crown runs in f32 or f64");
    graph_ = bounded_graph(r);
    crown_request_ = r;
    crown_request_.export_intermediates = true;
    crown_ = make_bound_method("crown")->prepare(crown_request_);
  }

  const PlanBundle& plan() const override { return crown_->plan(); }
  const CompiledProgram* program() const override { return crown_->program(); }

  BoundResult run(const InputRegion& region) override {
    const bool given = request_.max_memory > 0;
    const std::int64_t budget = given ? request_.max_memory : default_memory_budget();
    const std::string budget_name = given ? "--max-memory" : "the default memory budget (60% of available memory)";
    std::int64_t sub_batch = region.batch;
    for (;;) {
      BoundResult all;
      bool fits = true;
      for (std::int64_t first = 0; first < region.batch && fits; first += sub_batch) {
        const std::int64_t count = std::min(sub_batch, region.batch - first);
        const InputRegion part = slice_region(region, first, count);
        Stopwatch crown_watch;
        BoundRequest cr = crown_request_;
        cr.region = part;
        const BoundResult crown = make_bound_method("crown")->compute(cr);
        const double crown_ms = crown_watch.elapsed_ms();
        BoundResult r;
        std::int64_t rows_cap = request_.max_rows_per_chunk;
        for (;;) {
          std::int64_t planned = 0;
          AlphaReport report;
          report.crown_ms = crown_ms;
          if (region.dtype == DType::F32) {
            Optimiser<float> o(request_, graph_, part, crown, rows_cap);
            planned = o.planned_bytes();
            if (planned <= budget) {
              report.warm_started_rows = o.warm_started();
              r = o.optimise(crown, report);
            }
          } else {
            Optimiser<double> o(request_, graph_, part, crown, rows_cap);
            planned = o.planned_bytes();
            if (planned <= budget) {
              report.warm_started_rows = o.warm_started();
              r = o.optimise(crown, report);
            }
          }
          if (planned <= budget) {
            r.alpha_report = report;
            break;
          }
          if (rows_cap > 1) {
            rows_cap = (rows_cap + 1) / 2;
            continue;
          }
          BF_CHECK(sub_batch > 1, ErrorKind::Usage,
                   "{} {} is too small: alpha-crown needs at least {} (one sample, one row at a time)", budget_name,
                   format_bytes(budget), format_bytes(planned));
          fits = false;
          break;
        }
        if (!fits) break;
        append_samples(all.outputs, std::move(r.outputs));
        append_samples(all.intermediates, std::move(r.intermediates));
        all.plan = r.plan;
        all.program = r.program;
        all.planned_bytes = std::max(all.planned_bytes, r.planned_bytes);
        all.stats.memory.peak_bytes = std::max(all.stats.memory.peak_bytes, r.stats.memory.peak_bytes);
        all.alpha = r.alpha;  // the last slice's (a warm start covers the rows it names)
        all.alpha_report.iterations = std::max(all.alpha_report.iterations, r.alpha_report.iterations);
        all.alpha_report.stopped_early |= r.alpha_report.stopped_early;
        all.alpha_report.ms_per_iteration += r.alpha_report.ms_per_iteration;
        all.alpha_report.crown_ms += r.alpha_report.crown_ms;
        all.alpha_report.warm_started_rows += r.alpha_report.warm_started_rows;
      }
      if (fits) {
        all.executor = executor_kind_name(request_.executor);
        all.budget_bytes = budget;
        all.chunking.batch = sub_batch;
        if (!request_.export_intermediates) all.intermediates.clear();
        return all;
      }
      sub_batch = (sub_batch + 1) / 2;
    }
  }

 private:
  BoundRequest request_, crown_request_;
  std::shared_ptr<const Graph> graph_;
  std::unique_ptr<PreparedBounds> crown_;
};

class AlphaCrownMethod final : public BoundMethod {
 public:
  std::string name() const override { return "alpha-crown"; }
  std::unique_ptr<PreparedBounds> prepare(const BoundRequest& r) const override {
    return std::make_unique<AlphaPrepared>(r);
  }
};

}  // namespace

std::unique_ptr<BoundMethod> make_alpha_crown_method() { return std::make_unique<AlphaCrownMethod>(); }

}  // namespace bf
