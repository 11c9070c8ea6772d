#include "methods/branch_bounds.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <type_traits>

#include "bound/linear/sweep_steps.h"
#include "methods/adam.h"
#include "methods/crown_program.h"
#include "methods/memory_budget.h"
#include "planner/planner.h"
#include "runtime/compiled/compiled_program.h"
#include "support/error.h"
#include "support/outward_round.h"

namespace bf {

namespace {

// Host memory of one State buffer, bound to every run in place: zeroed, and
// aligned as the program's own buffers are (its kernels may rely on it).
class StateBuffer {
 public:
  StateBuffer(BufferId id, std::size_t size)
      : id(id), size_(size), data_(static_cast<unsigned char*>(std::aligned_alloc(64, (size + 63) / 64 * 64))) {
    BF_CHECK(data_ != nullptr, ErrorKind::Internal, "branch bounds: out of memory for {} bytes of State", size);
    std::memset(data_.get(), 0, size);
  }
  unsigned char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  BufferId id = -1;

 private:
  struct Free {
    void operator()(unsigned char* p) const { std::free(p); }
  };
  std::size_t size_ = 0;
  std::unique_ptr<unsigned char, Free> data_;
};

}  // namespace

struct BranchBounds::Impl {
  BoundRequest request;
  std::shared_ptr<const Graph> graph;
  DType dtype = DType::F32;
  std::int64_t rows = 0;    // spec rows per domain
  std::int64_t inputs = 0;  // input elements
  std::int64_t batch = 0;   // domains per call
  std::vector<double> box_lo, box_hi;

  // Every value the program bounds, in program order, with its offset in a
  // domain's bounds and its root bounds.
  struct Bounded {
    ValueId value = -1;
    std::int64_t numel = 0, offset = 0;
    SweepRows rows = SweepRows::All;
    bool swept = false;
  };
  std::vector<Bounded> bounded;
  std::map<ValueId, std::size_t> bounded_at;
  std::vector<double> root_lo, root_hi;  // bounded_elements()
  std::int64_t elements = 0;

  std::vector<BranchNeuron> unstable;
  std::map<ValueId, std::vector<std::int32_t>> unstable_at;        // per ReLU input: element -> index, or -1
  std::map<ValueId, std::int64_t> first_unstable, unstable_count;  // per ReLU input: its run of unstable()

  // Programs by batch (domains per call): powers of two up to `batch`, built when first needed.
  struct Program {
    std::int64_t batch = 0;
    std::shared_ptr<PlanBundle> plan;
    std::shared_ptr<CompiledProgram> compiled;
    InputRegion region;  // the box, once per domain
    std::vector<StateBuffer> state;
    std::map<ValueId, BufferId> best;  // bounded values and the output
    const SweepInfo* final_sweep = nullptr;
    std::vector<const SweepInfo*> intermediate_sweeps;
    // Adam's moments of the final sweep's alpha and beta (lower side), kept
    // from call to call (each call starts them at zero on the rows it uses).
    std::vector<Adam<float>> adam32;
    std::vector<Adam<double>> adam64;
    template <typename T>
    std::vector<Adam<T>>& adam() {
      if constexpr (std::is_same_v<T, float>) {
        return adam32;
      } else {
        return adam64;
      }
    }

    StateBuffer& state_of(BufferId b) {
      for (auto& sb : state) {
        if (sb.id == b) return sb;
      }
      fail(ErrorKind::Internal, "branch bounds: State buffer {} not bound", b);
    }
    const BufferSpec& spec(BufferId b) const { return plan->storage.logical_buffers.at(static_cast<std::size_t>(b)); }
    std::int64_t planned_bytes() const {
      std::int64_t bytes = compiled->planned_bytes();
      for (const auto& sb : state) bytes += static_cast<std::int64_t>(sb.size());
      // Adam's moments: two per optimised parameter (the final sweep's alpha and beta).
      for (const auto& [n, b] : final_sweep->alpha_buffers) bytes += 2 * spec(b).bytes;
      for (const auto& [z, b] : final_sweep->beta_buffers) bytes += 2 * spec(b).bytes;
      return bytes;
    }
  };
  std::map<std::int64_t, std::unique_ptr<Program>> programs;
  bool gradients = true;  // the program computes alpha's and beta's gradients (Adam steps)

  Program& program_for(std::int64_t domains) {
    std::int64_t b = 1;
    while (b < domains) b *= 2;
    b = std::min(b, batch);
    auto it = programs.find(b);
    if (it == programs.end()) it = programs.emplace(b, build(b)).first;
    return *it->second;
  }

  void prepare(const std::vector<OutputBounds>& root, std::int64_t max_domains) {
    graph = bounded_graph(request);
    const Graph& g = *graph;
    dtype = request.region.dtype;
    BF_CHECK(dtype == DType::F32 || dtype == DType::F64, ErrorKind::Unsupported, "branch and bound runs in f32 or f64");
    BF_CHECK(request.region.batch == 1, ErrorKind::Internal, "branch bounds: one box");
    rows = g.type(g.outputs()[0]).numel();
    inputs = numel(request.region.shape);
    box_lo = request.region.lower.to_double_vector();
    box_hi = request.region.upper.to_double_vector();
    // Which values the program bounds, and how (a CROWN program of the same options).
    CrownProgramInfo info;
    const BoundProgram probe = build_crown_program(g, config_for(request, PlanDomain::Linear, 1), {}, &info);
    std::map<ValueId, SweepRows> policy;
    for (const auto& sw : probe.sweeps) policy[sw.value] = sw.rows;
    std::map<std::string, const OutputBounds*> by_name;
    for (const auto& ob : root) by_name[ob.name] = &ob;
    for (ValueId v : info.intermediate_values) {
      Bounded b;
      b.value = v;
      b.numel = g.type(v).numel();
      b.offset = elements;
      b.swept = info.by_sweep.at(v);
      if (b.swept) b.rows = policy.at(v);
      elements += b.numel;
      auto it = by_name.find(g.value(v).name);
      BF_CHECK(it != by_name.end(), ErrorKind::Internal, "branch bounds: no root bounds of '{}'", g.value(v).name);
      const auto lo = it->second->lower.to_double_vector(), hi = it->second->upper.to_double_vector();
      BF_CHECK(static_cast<std::int64_t>(lo.size()) == b.numel, ErrorKind::Internal,
               "branch bounds: root bounds of '{}' have {} elements, not {}", g.value(v).name, lo.size(), b.numel);
      root_lo.insert(root_lo.end(), lo.begin(), lo.end());
      root_hi.insert(root_hi.end(), hi.begin(), hi.end());
      bounded_at[v] = bounded.size();
      bounded.push_back(b);
    }
    // The splittable neurons: elements of ReLU inputs unstable at the root.
    for (const auto& n : g.nodes()) {
      if (n.op != OpKind::Relu || n.inputs[0] == g.inputs()[0] || unstable_at.count(n.inputs[0])) continue;
      const ValueId z = n.inputs[0];
      const Bounded& b = bounded.at(bounded_at.at(z));
      auto& at = unstable_at[z];
      at.assign(static_cast<std::size_t>(b.numel), -1);
      first_unstable[z] = static_cast<std::int64_t>(unstable.size());
      for (std::int64_t e = 0; e < b.numel; ++e) {
        const auto i = static_cast<std::size_t>(b.offset + e);
        if (!(root_lo[i] < 0.0 && root_hi[i] > 0.0)) continue;
        at[static_cast<std::size_t>(e)] = static_cast<std::int32_t>(unstable.size());
        unstable.push_back({z, e});
      }
      unstable_count[z] = static_cast<std::int64_t>(unstable.size()) - first_unstable[z];
    }
    // The largest batch whose program fits half the budget.
    const bool given = request.max_memory > 0;
    const std::int64_t budget = (given ? request.max_memory : default_memory_budget()) / 2;
    for (batch = std::max<std::int64_t>(1, max_domains);; batch = (batch + 1) / 2) {
      std::unique_ptr<Program> p = build(batch);
      // The ladder's smaller programs (half, a quarter, ...) hold as much again at most.
      const std::int64_t bytes = 2 * p->planned_bytes();
      if (bytes <= budget) {
        programs.emplace(batch, std::move(p));
        break;
      }
      BF_CHECK(batch > 1, ErrorKind::Usage, "{} {} is too small for branch and bound: one domain needs {}",
               given ? "--max-memory" : "the default memory budget", format_bytes(2 * budget), format_bytes(2 * bytes));
    }
  }

  std::unique_ptr<Program> build(std::int64_t b) {
    auto P = std::make_unique<Program>();
    P->batch = b;
    const Graph& g = *graph;
    PlannerConfig config = config_for(request, PlanDomain::Linear, b);
    // The domains lie inside the root: one rounding account per call, from
    // their largest magnitudes (its cost was most of the sound programs' forward part).
    config.batch_account = true;
    CrownProgramOptions o;
    o.branch = true;
    o.lower = true;
    o.upper = false;
    o.export_intermediates = true;
    o.export_input_coefficients = true;
    o.branch_gradients = gradients;
    for (const auto& [z, at] : unstable_at) {
      std::vector<std::int64_t>& list = o.branch_elements[z];
      for (std::int64_t i = first_unstable.at(z); i < first_unstable.at(z) + unstable_count.at(z); ++i)
        list.push_back(unstable[static_cast<std::size_t>(i)].element);
    }
    const std::int64_t chunk_cap = std::max<std::int64_t>(1, request.max_rows_per_chunk);
    for (const Bounded& x : bounded) {
      if (!x.swept) continue;
      std::int64_t per_domain = x.numel;
      if (x.rows == SweepRows::Unstable) {
        per_domain = 0;
        for (std::int64_t e = 0; e < x.numel; ++e) {
          const auto i = static_cast<std::size_t>(x.offset + e);
          per_domain += root_lo[i] < 0.0 && root_hi[i] > 0.0;
        }
      }
      o.fixed_rows[x.value] = std::max<std::int64_t>(1, b * per_domain);
      o.rows_per_chunk[x.value] = std::min(o.fixed_rows[x.value], chunk_cap);
    }
    const ValueId out = g.outputs()[0];
    o.fixed_rows[out] = b * rows;
    o.rows_per_chunk[out] = std::min(b * rows, chunk_cap);
    CrownProgramInfo info;
    P->plan = std::make_shared<PlanBundle>(make_plan(graph, build_crown_program(g, config, o, &info), config));
    P->best = info.best_buffers;
    CompileCache& cache = request.cache != nullptr ? *request.cache : CompileCache::global();
    P->compiled = std::make_shared<CompiledProgram>(*P->plan, request.compile, cache);
    for (const auto& sw : P->plan->sweeps) {
      if (sw.value == out) {
        P->final_sweep = &sw;
      } else {
        P->intermediate_sweeps.push_back(&sw);
      }
    }
    BF_CHECK(
        P->final_sweep != nullptr && P->final_sweep->task + 1 == static_cast<TaskId>(P->plan->task_graph.tasks.size()),
        ErrorKind::Internal, "branch bounds: the final sweep is not the program's last task");
    for (const auto& s : P->plan->storage.logical_buffers) {
      if (s.scope != BufferScope::State) continue;
      P->state.emplace_back(s.id, static_cast<std::size_t>(layout_planes(s.layout) * s.plane_bytes()));
    }
    // The box, once per domain.
    std::vector<double> lo, hi;
    for (std::int64_t d = 0; d < b; ++d) {
      lo.insert(lo.end(), box_lo.begin(), box_lo.end());
      hi.insert(hi.end(), box_hi.begin(), box_hi.end());
    }
    P->region = input_box(lo, hi, request.region.shape, dtype);
    return P;
  }
};

namespace {

// One call of BranchBounds::bound in the program's dtype T: the domains laid
// into the program's State, the runs with Adam steps between them, and what
// the caller gets back.
template <typename T>
class BranchCall {
 public:
  using Impl = BranchBounds::Impl;
  using Program = Impl::Program;

  BranchCall(Impl& m, const std::vector<BranchDomain>& domains, const BranchBoundOptions& opt)
      : m_(m),
        domains_(domains),
        opt_(opt),
        D_(static_cast<std::int64_t>(domains.size())),
        P_(m.program_for(std::max<std::int64_t>(1, D_))),
        batch_(P_.batch),
        U_(static_cast<std::int64_t>(m.unstable.size())) {
    BF_CHECK(D_ <= m.batch, ErrorKind::Internal, "branch bounds: {} domains, at most {} per call", D_, m.batch);
    BF_CHECK(opt.iterations == 0 || m.gradients, ErrorKind::Internal, "branch bounds: Adam steps without gradients");
  }

  BranchBoundResult run() {
    fill_domain_bounds();
    set_final_rows();
    set_intermediate_rows(opt_.tighten);
    load_parameters();
    prepare_optimiser();
    result_.lower.assign(items_.size(), -std::numeric_limits<double>::infinity());
    result_.infeasible.assign(static_cast<std::size_t>(D_), 0);
    for (int it = 0;; ++it) {
      std::vector<StateBinding> bindings;
      // In place: the parameters, gradients and scores are not copied in or out of the program.
      for (auto& sb : P_.state) bindings.push_back({sb.id, sb.data(), true, true, /*direct=*/true});
      // After the first run only the final sweep runs again: the domains' intervals
      // and relaxations do not change between optimiser steps. Gradients are
      // needed before each step, scores only from the last run.
      const bool last = it >= opt_.iterations;
      const BoundRunResult r =
          it > 0 && P_.compiled->can_rerun_last_task()
              ? P_.compiled->rerun_last_task(bindings, {.gradients = !last, .scores = last && opt_.scores})
              : P_.compiled->run(P_.region, bindings);
      if (it == 0 && opt_.tighten) take_tightened(r);
      keep_best(r);
      if (last) break;
      step(it);
    }
    if (opt_.scores) collect_scores();
    if (opt_.points) collect_points();
    return std::move(result_);
  }

 private:
  static T* typed(StateBuffer& sb) { return reinterpret_cast<T*>(sb.data()); }
  T* buffer(BufferId b) { return typed(P_.state_of(b)); }
  std::int64_t slot_of(std::size_t k) const { return items_[k].first * m_.rows + items_[k].second; }
  // The rows of this call use slots [0, D * rows): the lower plane's prefix of
  // each parameter buffer (the upper side is not bounded).
  std::size_t used(BufferId b) {
    return P_.state_of(b).size() / sizeof(T) / 2 / static_cast<std::size_t>(batch_) * static_cast<std::size_t>(D_);
  }

  // Each domain's bounds: its own or the root's, clipped by its splits; unused samples the root's.
  void fill_domain_bounds() {
    auto down = [](double v) {
      return std::is_same_v<T, float> ? static_cast<T>(round_down<float>(v)) : static_cast<T>(v);
    };
    auto up = [](double v) {
      return std::is_same_v<T, float> ? static_cast<T>(round_up<float>(v)) : static_cast<T>(v);
    };
    for (const Impl::Bounded& x : m_.bounded) {
      T* lo = buffer(P_.best.at(x.value));
      T* hi = lo + batch_ * x.numel;
      for (std::int64_t d = 0; d < batch_; ++d) {
        const BranchDomain* dom = d < D_ ? &domains_[static_cast<std::size_t>(d)] : nullptr;
        for (std::int64_t e = 0; e < x.numel; ++e) {
          const auto i = static_cast<std::size_t>(x.offset + e);
          if (dom != nullptr && dom->lo != nullptr) {
            lo[d * x.numel + e] = static_cast<T>((*dom->lo)[i]);
            hi[d * x.numel + e] = static_cast<T>((*dom->hi)[i]);
          } else {
            lo[d * x.numel + e] = down(m_.root_lo[i]);
            hi[d * x.numel + e] = up(m_.root_hi[i]);
          }
        }
      }
    }
    for (std::int64_t d = 0; d < D_; ++d) {
      for (const BranchSplit& s : *domains_[static_cast<std::size_t>(d)].splits) {
        const BranchNeuron& nu = m_.unstable.at(static_cast<std::size_t>(s.neuron));
        const std::int64_t n = m_.bounded.at(m_.bounded_at.at(nu.value)).numel;
        T* lo = buffer(P_.best.at(nu.value));
        T* hi = lo + batch_ * n;
        const std::int64_t i = d * n + nu.element;
        if (s.sign > 0) {
          lo[i] = std::max(lo[i], T(0));
        } else {
          hi[i] = std::min(hi[i], T(0));
        }
      }
    }
    // The final sweep keeps the better of each row's bound and this: nothing yet.
    T* lo = buffer(P_.best.at(m_.graph->outputs()[0]));
    std::fill(lo, lo + batch_ * m_.rows, -std::numeric_limits<T>::infinity());
    std::fill(lo + batch_ * m_.rows, lo + 2 * batch_ * m_.rows, std::numeric_limits<T>::infinity());
  }

  // The final sweep's rows: (domain, spec row), slot d * rows + row.
  void set_final_rows() {
    SweepRowsView view(P_.state_of(P_.final_sweep->rows_buffer).data(), P_.final_sweep->row_capacity);
    for (std::int64_t d = 0; d < D_; ++d) {
      const BranchDomain& dom = domains_[static_cast<std::size_t>(d)];
      BF_CHECK(dom.params.size() == dom.rows->size(), ErrorKind::Internal,
               "branch bounds: parameters for {} of {} rows", dom.params.size(), dom.rows->size());
      for (std::size_t j = 0; j < dom.rows->size(); ++j) {
        const std::int64_t r = (*dom.rows)[j];
        const auto k = static_cast<std::int64_t>(items_.size());
        view.neurons()[k] = r;
        view.samples()[k] = d;
        view.slots()[k] = d * m_.rows + r;
        items_.emplace_back(d, r);
        item_params_.push_back(dom.params[j]);
      }
    }
    view.set_count(static_cast<std::int64_t>(items_.size()));
  }

  // Intermediate sweeps: the elements each domain has unstable (tighten), else none.
  void set_intermediate_rows(bool on) {
    for (const SweepInfo* sw : P_.intermediate_sweeps) {
      SweepRowsView view(P_.state_of(sw->rows_buffer).data(), sw->row_capacity);
      std::int64_t count = 0;
      if (on) {
        const Impl::Bounded& x = m_.bounded.at(m_.bounded_at.at(sw->value));
        const T* lo = buffer(P_.best.at(x.value));
        const T* hi = lo + batch_ * x.numel;
        for (std::int64_t i = 0; i < D_ * x.numel && count < sw->row_capacity; ++i) {
          if (sw->rows == SweepRows::Unstable && !(lo[i] < T(0) && hi[i] > T(0))) continue;
          view.neurons()[count] = i % x.numel;
          view.samples()[count] = i / x.numel;
          view.slots()[count] = count;
          ++count;
        }
      }
      view.set_count(count);
    }
  }

  // alpha of every ReLU of the final sweep (alpha-CROWN's layout: a row over
  // every element of z) and beta at every ReLU input (over z's branch
  // elements, its unstable neurons in order), from the items' (NaN: CROWN's
  // line; beta 0); other lines CROWN's.
  void load_parameters() {
    for (const auto& [node, b] : P_.final_sweep->alpha_buffers) {
      std::fill(buffer(b), buffer(b) + used(b), std::numeric_limits<T>::quiet_NaN());
      const Node& nd = m_.graph->node(node);
      if (nd.op == OpKind::Relu && m_.unstable_at.count(nd.inputs[0])) alpha_relu_.emplace_back(nd.inputs[0], b);
    }
    for (const auto& [z, b] : alpha_relu_) {
      const auto& at = m_.unstable_at.at(z);
      const auto n = static_cast<std::int64_t>(at.size());
      for (std::size_t k = 0; k < items_.size(); ++k) {
        const float* src = item_params_[k]->data();
        T* row = buffer(b) + slot_of(k) * n;
        for (std::int64_t e = 0; e < n; ++e) {
          if (at[static_cast<std::size_t>(e)] >= 0) row[e] = static_cast<T>(src[at[static_cast<std::size_t>(e)]]);
        }
      }
    }
    for (const auto& [z, b] : P_.final_sweep->beta_buffers) {
      std::fill(buffer(b), buffer(b) + used(b), T(0));
      const std::int64_t first = m_.first_unstable.at(z), n = m_.unstable_count.at(z);
      for (std::size_t k = 0; k < items_.size(); ++k) {
        const float* src = item_params_[k]->data() + U_ + first;
        T* row = buffer(b) + slot_of(k) * n;
        for (std::int64_t j = 0; j < n; ++j) row[j] = static_cast<T>(src[j]);
      }
    }
  }

  // The parameters of item k's bound, back into its vector.
  void save_parameters(std::size_t k) {
    float* dst = item_params_[k]->data();
    for (const auto& [z, b] : alpha_relu_) {
      const auto& at = m_.unstable_at.at(z);
      const T* row = buffer(b) + slot_of(k) * static_cast<std::int64_t>(at.size());
      for (std::size_t e = 0; e < at.size(); ++e) {
        if (at[e] >= 0) dst[at[e]] = static_cast<float>(row[e]);
      }
    }
    for (const auto& [z, b] : P_.final_sweep->beta_buffers) {
      const std::int64_t first = m_.first_unstable.at(z), n = m_.unstable_count.at(z);
      const T* row = buffer(b) + slot_of(k) * n;
      for (std::int64_t j = 0; j < n; ++j) dst[U_ + first + j] = static_cast<float>(row[j]);
    }
  }

  // One optimiser for both: alpha and beta, the lower side only, each at the
  // entries that can move a bound:
  //   - alpha in the rows of this call's items (not every slot of a domain),
  //     for a ReLU at the elements unstable at the root (a domain's bounds lie
  //     inside the root's, so no other element is ever unstable and reads its
  //     alpha), for other nodes at every entry;
  //   - beta only at each row's own splits (beta-CROWN's multipliers): on
  //     neurons stable without a split the program would accept it too, but
  //     Adam's fixed-size steps there measurably weakened the bounds (mnist
  //     256x4 prop_8_0.03, root: -0.772 against -0.731 with alpha alone).
  // Adam on these alone is what it was on whole buffers, where every other
  // gradient is zero: on oval21 cifar_base_kw a tenth of the entries or less.
  void prepare_optimiser() {
    if (opt_.iterations == 0) return;
    for (const auto& [node, b] : P_.final_sweep->alpha_buffers) {
      Optimised o{b, P_.final_sweep->grad_buffers.at(node), opt_.lr_alpha, {}};
      const Node& nd = m_.graph->node(node);
      const auto n = static_cast<std::int64_t>(used(b)) / (D_ * m_.rows);  // one slot's entries
      // A ReLU's root-unstable elements: its run of unstable() (none if it has no run).
      std::int64_t first = 0, count = 0;
      if (nd.op == OpKind::Relu && m_.first_unstable.count(nd.inputs[0])) {
        first = m_.first_unstable.at(nd.inputs[0]);
        count = m_.unstable_count.at(nd.inputs[0]);
      }
      for (std::size_t k = 0; k < items_.size(); ++k) {
        const std::int64_t at = slot_of(k) * n;
        if (nd.op == OpKind::Relu) {
          for (std::int64_t i = first; i < first + count; ++i)
            o.entries.push_back(at + m_.unstable[static_cast<std::size_t>(i)].element);
        } else {
          for (std::int64_t e = 0; e < n; ++e) o.entries.push_back(at + e);
        }
      }
      optimised_.push_back(std::move(o));
    }
    std::map<ValueId, std::size_t> beta_at;
    for (const auto& [z, b] : P_.final_sweep->beta_buffers) {
      beta_at[z] = optimised_.size();
      optimised_.push_back({b, P_.final_sweep->beta_grad_buffers.at(z), opt_.lr_beta, {}});
    }
    for (std::size_t k = 0; k < items_.size(); ++k) {
      for (const BranchSplit& s : *domains_[static_cast<std::size_t>(items_[k].first)].splits) {
        const BranchNeuron& nu = m_.unstable.at(static_cast<std::size_t>(s.neuron));
        const std::int64_t first = m_.first_unstable.at(nu.value), n = m_.unstable_count.at(nu.value);
        optimised_.at(beta_at.at(nu.value)).entries.push_back(slot_of(k) * n + s.neuron - first);
      }
    }
    std::vector<Adam<T>>& adam = P_.template adam<T>();
    if (adam.empty()) {
      for (const Optimised& o : optimised_) adam.emplace_back(P_.state_of(o.params).size() / sizeof(T) / 2);
    }
    for (std::size_t a = 0; a < optimised_.size(); ++a) adam[a].reset(0, optimised_[a].entries.size());
  }

  void step(int it) {
    std::vector<Adam<T>>& adam = P_.template adam<T>();
    for (std::size_t a = 0; a < optimised_.size(); ++a) {
      const Optimised& o = optimised_[a];
      adam[a].update_at(buffer(o.params), buffer(o.grads), o.entries.data(), o.entries.size(), T(1), it, o.lr);
    }
  }

  // Each item keeps its best bound and the parameters of that bound.
  void keep_best(const BoundRunResult& r) {
    const T* lower = static_cast<const T*>(r.outputs[0].lower.raw_data());
    for (std::size_t k = 0; k < items_.size(); ++k) {
      const double v = static_cast<double>(lower[slot_of(k)]);
      if (std::isnan(v) || !(v > result_.lower[k])) continue;
      result_.lower[k] = v;
      save_parameters(k);
    }
  }

  // The domains' swept bounds, kept for the later steps (and the caller); a
  // bound that crossed shows the domain's splits cannot all hold.
  void take_tightened(const BoundRunResult& r) {
    result_.lo.assign(static_cast<std::size_t>(D_), std::vector<float>(static_cast<std::size_t>(m_.elements)));
    result_.hi = result_.lo;
    for (const auto& ob : r.intermediates) {
      const auto v = m_.graph->find_value(ob.name);
      if (!v || !m_.bounded_at.count(*v)) continue;
      const Impl::Bounded& x = m_.bounded.at(m_.bounded_at.at(*v));
      StateBuffer& sb = P_.state_of(P_.best.at(x.value));
      std::memcpy(sb.data(), ob.lower.raw_data(), ob.lower.nbytes());
      std::memcpy(sb.data() + ob.lower.nbytes(), ob.upper.raw_data(), ob.upper.nbytes());
      const T* lo = static_cast<const T*>(ob.lower.raw_data());
      const T* hi = static_cast<const T*>(ob.upper.raw_data());
      for (std::int64_t d = 0; d < D_; ++d) {
        for (std::int64_t e = 0; e < x.numel; ++e) {
          const T l = lo[d * x.numel + e], h = hi[d * x.numel + e];
          if (l > h) result_.infeasible[static_cast<std::size_t>(d)] = 1;
          result_.lo[static_cast<std::size_t>(d)][static_cast<std::size_t>(x.offset + e)] = round_down<float>(l);
          result_.hi[static_cast<std::size_t>(d)][static_cast<std::size_t>(x.offset + e)] = round_up<float>(h);
        }
      }
    }
    set_intermediate_rows(false);
  }

  void collect_scores() {
    result_.scores.assign(items_.size() * static_cast<std::size_t>(U_), 0.0f);
    for (const auto& [z, b] : P_.final_sweep->score_buffers) {
      const std::int64_t first = m_.first_unstable.at(z), n = m_.unstable_count.at(z);
      for (std::size_t k = 0; k < items_.size(); ++k) {
        const T* row = buffer(b) + slot_of(k) * n;
        float* dst = result_.scores.data() + k * static_cast<std::size_t>(U_) + first;
        for (std::int64_t j = 0; j < n; ++j) dst[j] = static_cast<float>(row[j]);
      }
    }
  }

  // Each row's minimiser of its linear bound over the box: the corner its A at the input points to.
  void collect_points() {
    const std::int64_t n = m_.inputs;
    result_.points.resize(items_.size() * static_cast<std::size_t>(n));
    const T* a = buffer(P_.final_sweep->export_buffer);
    for (std::size_t k = 0; k < items_.size(); ++k) {
      const T* row = a + slot_of(k) * n;
      for (std::int64_t i = 0; i < n; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        double x = 0.5 * (m_.box_lo[ii] + m_.box_hi[ii]);
        if (row[i] > T(0)) x = m_.box_lo[ii];
        if (row[i] < T(0)) x = m_.box_hi[ii];
        result_.points[k * static_cast<std::size_t>(n) + ii] = x;
      }
    }
  }

  struct Optimised {
    BufferId params, grads;
    double lr;
    std::vector<std::int64_t> entries;  // the entries of params (and grads) Adam moves
  };

  Impl& m_;
  const std::vector<BranchDomain>& domains_;
  const BranchBoundOptions& opt_;
  const std::int64_t D_;
  Program& P_;
  const std::int64_t batch_, U_;
  std::vector<std::pair<std::int64_t, std::int64_t>> items_;  // (domain, spec row)
  std::vector<std::vector<float>*> item_params_;
  std::vector<std::pair<ValueId, BufferId>> alpha_relu_;  // (ReLU input, alpha buffer)
  std::vector<Optimised> optimised_;
  BranchBoundResult result_;
};

}  // namespace

BranchBounds::BranchBounds(const BoundRequest& request, const std::vector<OutputBounds>& root, std::int64_t max_domains,
                           bool optimise)
    : impl_(std::make_unique<Impl>()) {
  impl_->request = request;
  impl_->gradients = optimise;
  impl_->prepare(root, max_domains);
}

BranchBounds::~BranchBounds() = default;

const std::vector<BranchNeuron>& BranchBounds::unstable() const { return impl_->unstable; }
std::int64_t BranchBounds::unstable_index(ValueId value, std::int64_t element) const {
  auto it = impl_->unstable_at.find(value);
  if (it == impl_->unstable_at.end() || element < 0 || element >= static_cast<std::int64_t>(it->second.size()))
    return -1;
  return it->second[static_cast<std::size_t>(element)];
}
std::int64_t BranchBounds::domains_per_call() const { return impl_->batch; }
std::int64_t BranchBounds::rows_per_domain() const { return impl_->rows; }
std::int64_t BranchBounds::bounded_elements() const { return impl_->elements; }
std::int64_t BranchBounds::bounded_offset(ValueId value) const {
  auto it = impl_->bounded_at.find(value);
  return it == impl_->bounded_at.end() ? -1 : impl_->bounded[it->second].offset;
}
std::int64_t BranchBounds::inputs() const { return impl_->inputs; }
std::int64_t BranchBounds::planned_bytes() const {
  std::int64_t bytes = 0;
  for (const auto& [b, p] : impl_->programs) bytes += p->planned_bytes();
  return bytes;
}

void BranchBounds::root_bounds(std::vector<float>& lo, std::vector<float>& hi) const {
  lo.resize(impl_->root_lo.size());
  hi.resize(impl_->root_hi.size());
  for (std::size_t i = 0; i < lo.size(); ++i) {
    lo[i] = round_down<float>(impl_->root_lo[i]);
    hi[i] = round_up<float>(impl_->root_hi[i]);
  }
}

BranchBoundResult BranchBounds::bound(const std::vector<BranchDomain>& domains, const BranchBoundOptions& options) {
  if (impl_->dtype == DType::F32) return BranchCall<float>(*impl_, domains, options).run();
  return BranchCall<double>(*impl_, domains, options).run();
}

}  // namespace bf
