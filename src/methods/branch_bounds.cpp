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
    const PlannerConfig config = config_for(request, PlanDomain::Linear, b);
    CrownProgramOptions o;
    o.branch = true;
    o.lower = true;
    o.upper = false;
    o.export_intermediates = true;
    o.export_input_coefficients = true;
    o.branch_gradients = gradients;
    for (const auto& [z, at] : unstable_at) {
      std::vector<std::int64_t>& list = o.branch_elements[z];
      for (std::size_t e = 0; e < at.size(); ++e) {
        if (at[e] >= 0) list.push_back(static_cast<std::int64_t>(e));
      }
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

  template <typename T>
  BranchBoundResult bound(const std::vector<BranchDomain>& domains, const BranchBoundOptions& opt);
};

namespace {

template <typename T>
T* typed(StateBuffer& sb) {
  return reinterpret_cast<T*>(sb.data());
}

}  // namespace

template <typename T>
BranchBoundResult BranchBounds::Impl::bound(const std::vector<BranchDomain>& domains, const BranchBoundOptions& opt) {
  const Graph& g = *graph;
  const auto D = static_cast<std::int64_t>(domains.size());
  BF_CHECK(D <= batch, ErrorKind::Internal, "branch bounds: {} domains, at most {} per call", D, batch);
  Program& P = program_for(std::max<std::int64_t>(1, D));
  const std::int64_t batch = P.batch;
  const auto U = static_cast<std::int64_t>(unstable.size());
  constexpr T kInf = std::numeric_limits<T>::infinity();
  constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
  auto down = [](double v) {
    return std::is_same_v<T, float> ? static_cast<T>(round_down<float>(v)) : static_cast<T>(v);
  };
  auto up = [](double v) { return std::is_same_v<T, float> ? static_cast<T>(round_up<float>(v)) : static_cast<T>(v); };

  // Each domain's bounds: its own or the root's, clipped by its splits; unused samples the root's.
  for (const Bounded& x : bounded) {
    StateBuffer& sb = P.state_of(P.best.at(x.value));
    T* lo = typed<T>(sb);
    T* hi = lo + batch * x.numel;
    for (std::int64_t d = 0; d < batch; ++d) {
      const BranchDomain* dom = d < D ? &domains[static_cast<std::size_t>(d)] : nullptr;
      for (std::int64_t e = 0; e < x.numel; ++e) {
        const auto i = static_cast<std::size_t>(x.offset + e);
        if (dom != nullptr && dom->lo != nullptr) {
          lo[d * x.numel + e] = static_cast<T>((*dom->lo)[i]);
          hi[d * x.numel + e] = static_cast<T>((*dom->hi)[i]);
        } else {
          lo[d * x.numel + e] = down(root_lo[i]);
          hi[d * x.numel + e] = up(root_hi[i]);
        }
      }
    }
  }
  for (std::int64_t d = 0; d < D; ++d) {
    for (const BranchSplit& s : *domains[static_cast<std::size_t>(d)].splits) {
      const BranchNeuron& nu = unstable.at(static_cast<std::size_t>(s.neuron));
      const std::int64_t n = bounded.at(bounded_at.at(nu.value)).numel;
      T* lo = typed<T>(P.state_of(P.best.at(nu.value)));
      T* hi = lo + batch * n;
      const std::int64_t i = d * n + nu.element;
      if (s.sign > 0) {
        lo[i] = std::max(lo[i], T(0));
      } else {
        hi[i] = std::min(hi[i], T(0));
      }
    }
  }
  {
    const ValueId out = g.outputs()[0];
    T* lo = typed<T>(P.state_of(P.best.at(out)));
    std::fill(lo, lo + batch * rows, -kInf);
    std::fill(lo + batch * rows, lo + 2 * batch * rows, kInf);
  }
  // The final sweep's rows: (domain, spec row), slot d * rows + row.
  std::vector<std::pair<std::int64_t, std::int64_t>> items;  // (domain, row)
  {
    SweepRowsView view(P.state_of(P.final_sweep->rows_buffer).data(), P.final_sweep->row_capacity);
    for (std::int64_t d = 0; d < D; ++d) {
      for (std::int64_t r : *domains[static_cast<std::size_t>(d)].rows) {
        const auto k = static_cast<std::int64_t>(items.size());
        view.neurons()[k] = r;
        view.samples()[k] = d;
        view.slots()[k] = d * rows + r;
        items.emplace_back(d, r);
      }
    }
    view.set_count(static_cast<std::int64_t>(items.size()));
  }
  // Intermediate sweeps: the elements each domain has unstable (tighten), else none.
  auto set_intermediate_rows = [&](bool on) {
    for (const SweepInfo* sw : P.intermediate_sweeps) {
      SweepRowsView view(P.state_of(sw->rows_buffer).data(), sw->row_capacity);
      std::int64_t count = 0;
      if (on) {
        const Bounded& x = bounded.at(bounded_at.at(sw->value));
        const T* lo = typed<T>(P.state_of(P.best.at(x.value)));
        const T* hi = lo + batch * x.numel;
        for (std::int64_t d = 0; d < D; ++d) {
          for (std::int64_t e = 0; e < x.numel; ++e) {
            const std::int64_t i = d * x.numel + e;
            if (sw->rows == SweepRows::Unstable && !(lo[i] < T(0) && hi[i] > T(0))) continue;
            if (count == sw->row_capacity) break;
            view.neurons()[count] = e;
            view.samples()[count] = d;
            view.slots()[count] = count;
            ++count;
          }
        }
      }
      view.set_count(count);
    }
  };
  set_intermediate_rows(opt.tighten);
  // Parameters: alpha of every ReLU of the final sweep and beta at every ReLU
  // input, from the items' (NaN: CROWN's line; beta 0); other lines CROWN's.
  std::vector<std::pair<ValueId, BufferId>> alpha_relu;  // (ReLU input, alpha buffer)
  // The rows of this call use slots [0, D * rows): the lower plane's prefix
  // of each parameter buffer (the upper side is not bounded).
  auto used = [&](BufferId b) {
    return P.state_of(b).size() / sizeof(T) / 2 / static_cast<std::size_t>(batch) * static_cast<std::size_t>(D);
  };
  for (const auto& [node, buffer] : P.final_sweep->alpha_buffers) {
    std::fill(typed<T>(P.state_of(buffer)), typed<T>(P.state_of(buffer)) + used(buffer), kNaN);
    const Node& nd = g.node(node);
    if (nd.op == OpKind::Relu && unstable_at.count(nd.inputs[0])) alpha_relu.emplace_back(nd.inputs[0], buffer);
  }
  for (const auto& [z, buffer] : P.final_sweep->beta_buffers) {
    std::fill(typed<T>(P.state_of(buffer)), typed<T>(P.state_of(buffer)) + used(buffer), T(0));
  }
  auto slot_of = [&](std::size_t k) { return items[k].first * rows + items[k].second; };
  std::vector<std::vector<float>*> item_params;
  for (std::int64_t d = 0; d < D; ++d) {
    for (auto* p : domains[static_cast<std::size_t>(d)].params) item_params.push_back(p);
  }
  BF_CHECK(item_params.size() == items.size(), ErrorKind::Internal, "branch bounds: parameters for {} of {} rows",
           item_params.size(), items.size());
  // alpha: a row over every element of z (alpha-CROWN's layout); beta: over
  // z's branch elements, which are its unstable neurons in order.
  auto load_alpha = [&]() {
    for (const auto& [z, buffer] : alpha_relu) {
      const auto& at = unstable_at.at(z);
      T* p = typed<T>(P.state_of(buffer));
      const auto n = static_cast<std::int64_t>(at.size());
      for (std::size_t k = 0; k < items.size(); ++k) {
        const std::vector<float>& src = *item_params[k];
        T* row = p + slot_of(k) * n;
        for (std::int64_t e = 0; e < n; ++e) {
          const std::int32_t u = at[static_cast<std::size_t>(e)];
          if (u >= 0) row[e] = static_cast<T>(src[static_cast<std::size_t>(u)]);
        }
      }
    }
  };
  auto save_alpha = [&](std::size_t k) {
    for (const auto& [z, buffer] : alpha_relu) {
      const auto& at = unstable_at.at(z);
      const T* row = typed<T>(P.state_of(buffer)) + slot_of(k) * static_cast<std::int64_t>(at.size());
      std::vector<float>& dst = *item_params[k];
      for (std::size_t e = 0; e < at.size(); ++e) {
        if (at[e] >= 0) dst[static_cast<std::size_t>(at[e])] = static_cast<float>(row[e]);
      }
    }
  };
  auto load_beta = [&]() {
    for (const auto& [z, buffer] : P.final_sweep->beta_buffers) {
      const std::int64_t first = first_unstable.at(z), n = unstable_count.at(z);
      T* p = typed<T>(P.state_of(buffer));
      for (std::size_t k = 0; k < items.size(); ++k) {
        const float* src = item_params[k]->data() + U + first;
        T* row = p + slot_of(k) * n;
        for (std::int64_t j = 0; j < n; ++j) row[j] = static_cast<T>(src[j]);
      }
    }
  };
  auto save_beta = [&](std::size_t k) {
    for (const auto& [z, buffer] : P.final_sweep->beta_buffers) {
      const std::int64_t first = first_unstable.at(z), n = unstable_count.at(z);
      const T* row = typed<T>(P.state_of(buffer)) + slot_of(k) * n;
      float* dst = item_params[k]->data() + U + first;
      for (std::int64_t j = 0; j < n; ++j) dst[j] = static_cast<float>(row[j]);
    }
  };
  load_alpha();
  load_beta();

  BranchBoundResult result;
  result.lower.assign(items.size(), -std::numeric_limits<double>::infinity());
  result.infeasible.assign(static_cast<std::size_t>(D), 0);
  // One optimiser for both: alpha and beta, the lower side only (the final sweep bounds no upper side).
  std::vector<std::pair<BufferId, BufferId>> optimised;  // (parameters, gradients)
  std::vector<double> rates;
  std::vector<char> is_beta;
  for (const auto& [node, buffer] : P.final_sweep->alpha_buffers) {
    if (!gradients) break;
    optimised.emplace_back(buffer, P.final_sweep->grad_buffers.at(node));
    rates.push_back(opt.lr_alpha);
    is_beta.push_back(0);
  }
  for (const auto& [z, buffer] : P.final_sweep->beta_buffers) {
    if (!gradients) break;
    optimised.emplace_back(buffer, P.final_sweep->beta_grad_buffers.at(z));
    rates.push_back(opt.lr_beta);
    is_beta.push_back(1);
  }
  BF_CHECK(opt.iterations == 0 || gradients, ErrorKind::Internal, "branch bounds: Adam steps without gradients");
  std::vector<Adam<T>>& adam = P.template adam<T>();
  if (opt.iterations > 0) {
    if (adam.empty()) {
      for (const auto& [p, gr] : optimised) adam.emplace_back(P.state_of(p).size() / sizeof(T) / 2);
    }
    for (std::size_t a = 0; a < optimised.size(); ++a) adam[a].reset(0, used(optimised[a].first));
  }
  // beta moves only at each row's own splits (beta-CROWN's multipliers): on
  // neurons stable without a split the program would accept it too, but
  // Adam's fixed-size steps there measurably weakened the bounds (mnist 256x4
  // prop_8_0.03, root: -0.772 against -0.731 with alpha alone).
  std::map<BufferId, std::vector<std::int64_t>> split_entries;  // per beta gradient buffer: the splits' entries
  if (opt.iterations > 0) {
    for (std::size_t k = 0; k < items.size(); ++k) {
      for (const BranchSplit& s : *domains[static_cast<std::size_t>(items[k].first)].splits) {
        const BranchNeuron& nu = unstable.at(static_cast<std::size_t>(s.neuron));
        const std::int64_t first = first_unstable.at(nu.value), n = unstable_count.at(nu.value);
        split_entries[P.final_sweep->beta_grad_buffers.at(nu.value)].push_back(slot_of(k) * n + s.neuron - first);
      }
    }
  }
  std::vector<T> kept;
  for (int it = 0;; ++it) {
    std::vector<StateBinding> bindings;
    // In place: the parameters, gradients and scores are not copied in or out of the program.
    for (auto& sb : P.state) bindings.push_back({sb.id, sb.data(), true, true, /*direct=*/true});
    // After the first run only the final sweep runs again: the domains' intervals
    // and relaxations do not change between optimiser steps.
    BoundRunResult run = it > 0 && P.compiled->can_rerun_last_task() ? P.compiled->rerun_last_task(bindings)
                                                                     : P.compiled->run(P.region, bindings);
    if (it == 0 && opt.tighten) {
      // The domains' new bounds, kept for the later steps (and the caller).
      result.lo.assign(static_cast<std::size_t>(D), std::vector<float>(static_cast<std::size_t>(elements)));
      result.hi = result.lo;
      for (const auto& ob : run.intermediates) {
        const auto v = g.find_value(ob.name);
        if (!v || !bounded_at.count(*v)) continue;
        const Bounded& x = bounded.at(bounded_at.at(*v));
        StateBuffer& sb = P.state_of(P.best.at(x.value));
        std::memcpy(sb.data(), ob.lower.raw_data(), ob.lower.nbytes());
        std::memcpy(sb.data() + ob.lower.nbytes(), ob.upper.raw_data(), ob.upper.nbytes());
        const T* lo = static_cast<const T*>(ob.lower.raw_data());
        const T* hi = static_cast<const T*>(ob.upper.raw_data());
        for (std::int64_t d = 0; d < D; ++d) {
          for (std::int64_t e = 0; e < x.numel; ++e) {
            const T l = lo[d * x.numel + e], h = hi[d * x.numel + e];
            if (l > h) result.infeasible[static_cast<std::size_t>(d)] = 1;
            result.lo[static_cast<std::size_t>(d)][static_cast<std::size_t>(x.offset + e)] = round_down<float>(l);
            result.hi[static_cast<std::size_t>(d)][static_cast<std::size_t>(x.offset + e)] = round_up<float>(h);
          }
        }
      }
      set_intermediate_rows(false);
    }
    const T* lower = static_cast<const T*>(run.outputs[0].lower.raw_data());
    for (std::size_t k = 0; k < items.size(); ++k) {
      const double v = static_cast<double>(lower[slot_of(k)]);
      if (std::isnan(v) || !(v > result.lower[k])) continue;
      result.lower[k] = v;
      save_alpha(k);
      save_beta(k);
    }
    if (it >= opt.iterations) break;
    for (std::size_t a = 0; a < optimised.size(); ++a) {
      T* p = typed<T>(P.state_of(optimised[a].first));
      T* gr = typed<T>(P.state_of(optimised[a].second));
      if (is_beta[a]) {
        // Only the splits' entries keep their gradient.
        auto& entries = split_entries[optimised[a].second];
        kept.resize(entries.size());
        for (std::size_t e = 0; e < entries.size(); ++e) kept[e] = gr[entries[e]];
        std::fill(gr, gr + used(optimised[a].first), T(0));
        for (std::size_t e = 0; e < entries.size(); ++e) gr[entries[e]] = kept[e];
      }
      adam[a].update(p, gr, 0, used(optimised[a].first), T(1), it, rates[a]);
    }
  }
  if (opt.scores) {
    result.scores.assign(items.size() * static_cast<std::size_t>(U), 0.0f);
    for (const auto& [z, buffer] : P.final_sweep->score_buffers) {
      const std::int64_t first = first_unstable.at(z), n = unstable_count.at(z);
      const T* p = typed<T>(P.state_of(buffer));
      for (std::size_t k = 0; k < items.size(); ++k) {
        const T* row = p + slot_of(k) * n;
        float* dst = result.scores.data() + k * static_cast<std::size_t>(U) + first;
        for (std::int64_t j = 0; j < n; ++j) dst[j] = static_cast<float>(row[j]);
      }
    }
  }
  if (opt.points) {
    result.points.resize(items.size() * static_cast<std::size_t>(inputs));
    const T* a = typed<T>(P.state_of(P.final_sweep->export_buffer));
    for (std::size_t k = 0; k < items.size(); ++k) {
      const T* row = a + slot_of(k) * inputs;
      for (std::int64_t i = 0; i < inputs; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        double x = 0.5 * (box_lo[ii] + box_hi[ii]);
        if (row[i] > T(0)) x = box_lo[ii];
        if (row[i] < T(0)) x = box_hi[ii];
        result.points[k * static_cast<std::size_t>(inputs) + ii] = x;
      }
    }
  }
  return result;
}

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
  if (impl_->dtype == DType::F32) return impl_->bound<float>(domains, options);
  return impl_->bound<double>(domains, options);
}

}  // namespace bf
