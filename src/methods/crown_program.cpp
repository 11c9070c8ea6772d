#include "methods/crown_program.h"

#include <algorithm>
#include <set>

#include "bound/linear/linear_geometry.h"
#include "bound/linear/linear_rules.h"
#include "bound/linear/relaxation.h"
#include "bound/linear/sweep_steps.h"
#include "bound/rounding/rounding_rules.h"
#include "support/error.h"

namespace bf {

const char* intermediate_bounds_name(IntermediateBounds m) {
  switch (m) {
    case IntermediateBounds::Crown:
      return "crown";
    case IntermediateBounds::Dense:
      return "dense";
    case IntermediateBounds::Ibp:
      return "ibp";
  }
  return "?";
}

namespace {

bool is_activation(const Graph& g, ValueId v) { return v != kNoValue && !g.is_constant(v); }

std::vector<ValueId> activation_operands(const Graph& g, const Node& n) {
  std::vector<ValueId> out;
  for (ValueId v : n.inputs) {
    if (is_activation(g, v)) out.push_back(v);
  }
  return out;
}

bool relaxed(const Node& n) { return linear_rule(n.op).relax != RelaxKind::None; }

// Ops whose IBP bounds are exact given exact bounds of their one activation
// operand (auto_LiRPA's "ibp_intermediate" ops, and views).
bool ibp_exact(const Graph& g, const Node& n) {
  if (activation_operands(g, n).size() != 1) return false;
  switch (n.op) {
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
    case OpKind::Neg:
    case OpKind::Transpose:
      return true;
    case OpKind::LeakyRelu:
      return n.attrs.get_float("alpha", 0.01) >= 0;
    default:
      return is_view(n.op);
  }
}

// Per-element affine ops and views: between the input and the first affine
// layer they keep IBP exact.
bool elementwise_affine(const Graph& g, const Node& n) {
  if (activation_operands(g, n).size() != 1) return false;
  switch (n.op) {
    case OpKind::ScaleShift:
    case OpKind::BatchNormalization:
    case OpKind::Neg:
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
      return true;
    case OpKind::Div:
      return is_activation(g, n.inputs[0]);
    default:
      return is_view(n.op);
  }
}

bool affine_layer(const Graph& g, const Node& n) {
  if (activation_operands(g, n).size() != 1) return false;
  switch (n.op) {
    case OpKind::Affine:
    case OpKind::Conv:
    case OpKind::Gemm:
    case OpKind::MatMul:
      return true;
    default:
      return false;
  }
}

class Builder {
 public:
  Builder(const Graph& g, const PlannerConfig& config, const CrownProgramOptions& options)
      : g_(g), config_(config), options_(options), producers_(g.producers()) {
    BF_CHECK(g.inputs().size() == 1 && g.outputs().size() == 1, ErrorKind::Unsupported,
             "linear bounds need a single-input, single-output graph ({} inputs, {} outputs)", g.inputs().size(),
             g.outputs().size());
    input_ = g.inputs()[0];
    output_ = g.outputs()[0];
    BF_CHECK(!g.is_constant(output_), ErrorKind::Unsupported, "graph output '{}' is a constant", g.value(output_).name);
    for (std::size_t i = 0; i < g.nodes().size(); ++i) {
      for (ValueId v : activation_operands(g, g.nodes()[i])) consumers_[v].push_back(static_cast<NodeId>(i));
    }
  }

  BoundProgram build(CrownProgramInfo* info) {
    classify();
    plan_sweeps();
    demand_intervals();
    emit();
    if (info) {
      info->intermediate_values = bounded_order_;
      for (ValueId v : bounded_order_) info->by_sweep[v] = sweep_of_.count(v) != 0;
      for (const auto& sw : program_.sweeps) info->sweep_starts.push_back(sw.value);
      info->best_buffers = best_buffers_;
    }
    return std::move(program_);
  }

 private:
  std::optional<NodeId> producer(ValueId v) const { return producers_[static_cast<std::size_t>(v)]; }
  const Node& node(NodeId n) const { return g_.node(n); }

  // Which values need intermediate bounds, and whether by IBP or by a sweep.
  void classify() {
    for (const auto& n : g_.nodes()) {
      if (!relaxed(n)) continue;
      const ValueId v = n.inputs[0];
      if (v == input_ || bounded_.count(v)) continue;
      bounded_.insert(v);
    }
    for (std::size_t i = 0; i < g_.nodes().size(); ++i) {
      const ValueId v = g_.nodes()[i].outputs[0];
      if (bounded_.count(v)) bounded_order_.push_back(v);
    }
    for (ValueId v : bounded_order_) {
      if (options_.intermediates == IntermediateBounds::Ibp || ibp_exact_from_bounded(v) || first_affine_layer(v)) {
        continue;  // IBP
      }
      SweepRows rows = SweepRows::All;
      if (options_.intermediates == IntermediateBounds::Crown) {
        bool relu_only = true;
        for (NodeId c : consumers_[v]) {
          const OpKind op = node(c).op;
          if (relaxed(node(c)) && op != OpKind::Relu && op != OpKind::LeakyRelu) relu_only = false;
        }
        if (relu_only) rows = SweepRows::Unstable;
      }
      sweep_rows_[v] = rows;
    }
  }

  // v reaches a bounded value (or the input) through IBP-exact ops.
  bool ibp_exact_from_bounded(ValueId v) const {
    ValueId u = v;
    for (;;) {
      const auto p = producer(u);
      if (!p) return u == input_;
      if (u != v && bounded_.count(u)) return true;
      if (!ibp_exact(g_, node(*p))) return false;
      u = activation_operands(g_, node(*p))[0];
    }
  }

  bool first_affine_layer(ValueId v) const {
    const auto p = producer(v);
    if (!p || !affine_layer(g_, node(*p))) return false;
    ValueId u = activation_operands(g_, node(*p))[0];
    for (;;) {
      if (u == input_) return true;
      const auto q = producer(u);
      if (!q || !elementwise_affine(g_, node(*q))) return false;
      u = activation_operands(g_, node(*q))[0];
    }
  }

  // Cones, windows and the relaxations each sweep crosses.
  struct Sweep {
    ValueId start;
    SweepRows rows;
    std::vector<NodeId> cone;  // descending topological order
    std::map<ValueId, LinearWindow> windows;
    std::int32_t index = -1;
  };

  void plan_sweeps() {
    for (ValueId v : bounded_order_) {
      if (sweep_rows_.count(v)) sweeps_.push_back(make_sweep(v, sweep_rows_.at(v)));
    }
    sweeps_.push_back(make_sweep(output_, SweepRows::All));
    for (std::size_t i = 0; i < sweeps_.size(); ++i) {
      in_cone_.insert(sweeps_[i].cone.begin(), sweeps_[i].cone.end());
      sweeps_[i].index = static_cast<std::int32_t>(i);
      if (i + 1 < sweeps_.size()) sweep_of_[sweeps_[i].start] = static_cast<std::int32_t>(i);
      for (NodeId n : sweeps_[i].cone) {
        if (relaxed(node(n))) relax_needed_.insert(n);
      }
    }
  }

  Sweep make_sweep(ValueId start, SweepRows rows) {
    Sweep s{start, rows, {}, {}, -1};
    std::set<NodeId> cone;
    std::vector<ValueId> stack = {start};
    while (!stack.empty()) {
      const ValueId u = stack.back();
      stack.pop_back();
      const auto p = producer(u);
      if (!p || !cone.insert(*p).second) continue;
      for (ValueId w : activation_operands(g_, node(*p))) stack.push_back(w);
    }
    s.cone.assign(cone.rbegin(), cone.rend());
    for (NodeId n : s.cone) {
      if (auto why = linear_unsupported(g_, node(n))) {
        fail(ErrorKind::Unsupported, "node '{}' ({}): {}", node(n).name, op_name(node(n).op), *why);
      }
    }
    const Shape& shape = g_.type(start).shape;
    s.windows[start] = is_spatial_value(shape) ? seed_window(shape) : whole_value_window(shape);
    for (NodeId n : s.cone) {
      const Node& nd = node(n);
      const LinearWindow& out = s.windows.at(nd.outputs[0]);
      for (ValueId u : activation_operands(g_, nd)) {
        const LinearWindow w = window_into(nd, out, u);
        auto it = s.windows.find(u);
        if (it == s.windows.end()) {
          s.windows[u] = w;
        } else {
          it->second = window_union(it->second, w, g_.type(u).shape);
        }
      }
    }
    return s;
  }

  // The window of operand u's rows, given the rows of n's output.
  LinearWindow window_into(const Node& n, const LinearWindow& out, ValueId u) const {
    const Shape& us = g_.type(u).shape;
    const LinearWindow whole = whole_value_window(us);
    if (!out.spatial || out.full()) return whole;
    switch (linear_rule(n.op).window) {
      case WindowFlow::Same:
        return us == g_.type(n.outputs[0]).shape ? out : whole;
      case WindowFlow::Sliding: {
        const auto& attrs = n.attrs;
        const auto& k = attrs.get_ints("kernel_shape");
        const auto& st = attrs.get_ints("strides");
        const auto& pads = attrs.get_ints("pads");
        const bool dilated = n.op != OpKind::AveragePool;
        SlidingWindow sw{k[0], k[1], st[0], st[1], pads[0], pads[1], 1, 1};
        if (dilated) {
          const auto& d = attrs.get_ints("dilations");
          sw.dilation_h = d[0];
          sw.dilation_w = d[1];
        }
        return window_through_sliding(out, sw, us);
      }
      case WindowFlow::Shift: {
        const auto& pads = n.attrs.get_ints("pads");  // begins then ends, one per axis
        if (pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0) return whole;
        return window_shifted(out, -pads[2], -pads[3], us);
      }
      case WindowFlow::Whole:
        return whole;
    }
    return whole;
  }

  // Values whose interval an IBP step computes. Branch and bound computes
  // none: a domain's bounds are its parent's clipped by the splits (and its
  // own sweeps', with tightening); IBP through the clipped values closed 22
  // of 10547 domains on oval21 cifar_base_kw img876 and cost most of the
  // sound programs' time (docs/relu_split.md).
  void demand_intervals() {
    if (options_.branch) return;
    for (ValueId v : bounded_order_) {
      const bool swept = sweep_of_.count(v) != 0;
      if (!swept || sweep_rows_.at(v) == SweepRows::Unstable) demand_producer(v);
    }
  }

  bool ibp_computes(ValueId v) const {
    const auto p = producer(v);
    return p && ibp_nodes_.count(*p);
  }

  void demand_producer(ValueId v) {
    const auto p = producer(v);
    if (!p || !ibp_nodes_.insert(*p).second) return;
    for (ValueId u : activation_operands(g_, node(*p))) {
      if (u == input_ || bounded_.count(u)) continue;
      demand_producer(u);
    }
  }

  // --- emission ---------------------------------------------------------------

  // A buffer of the plan's dtype holding `batch` samples (all but the row lists).
  BufferId add_buffer(BufferSpec spec) { return add_buffer(std::move(spec), config_.dtype, config_.batch); }
  BufferId add_buffer(BufferSpec spec, DType dtype, std::int64_t batch) {
    spec.id = static_cast<BufferId>(program_.buffers.size());
    spec.dtype = dtype;
    spec.batch = batch;
    spec.alignment = config_.alignment;
    finalize_buffer_spec(spec);
    program_.buffers.push_back(spec);
    return spec.id;
  }

  BufferId interval(ValueId v) {
    auto it = program_.value_to_buffer.find(v);
    if (it != program_.value_to_buffer.end()) return it->second;
    BufferSpec s;
    s.name = g_.value(v).name;
    s.scope = v == input_                                                            ? BufferScope::Input
              : v == output_ || (options_.export_intermediates && bounded_.count(v)) ? BufferScope::Output
                                                                                     : BufferScope::Intermediate;
    s.shape = g_.type(v).shape;
    s.layout = BufferLayout::Interval;
    s.value = v;
    const BufferId b = add_buffer(s);
    program_.value_to_buffer[v] = b;
    return b;
  }

  BufferId relaxation(NodeId n) {
    auto it = relax_buffer_.find(n);
    if (it != relax_buffer_.end()) return it->second;
    const Node& nd = node(n);
    BufferSpec s;
    s.name = "relax[" + nd.name + "]";
    s.shape = {relaxation_elements(nd, g_.type(nd.inputs[0]).shape, g_.type(nd.outputs[0]).shape)};
    s.layout = BufferLayout::Relaxation;
    s.value = nd.inputs[0];
    return relax_buffer_[n] = add_buffer(s);
  }

  // Sound floating point: a node's rounding account (two planes of numel + 1).
  BufferId account(NodeId n) {
    auto it = account_buffer_.find(n);
    if (it != account_buffer_.end()) return it->second;
    const Node& nd = node(n);
    BufferSpec s;
    s.name = "account[" + nd.name + "]";
    s.shape = {g_.type(nd.outputs[0]).numel() + 1};
    s.layout = BufferLayout::Account;
    s.value = nd.outputs[0];
    return account_buffer_[n] = add_buffer(s);
  }

  // After n's relaxation and interval op: its account, from the interval of
  // each activation operand where the program has one (else that operand's
  // producer's account); widening n's interval when its interval op wrote it.
  void emit_account(NodeId n) {
    const Node& nd = node(n);
    TaskOp op;
    op.node = n;
    op.op = nd.op;
    op.kind = TaskOpKind::Account;
    for (ValueId u : nd.inputs) {
      if (!is_activation(g_, u)) continue;
      auto iv = program_.value_to_buffer.find(u);
      if (iv != program_.value_to_buffer.end()) {
        op.reads.push_back(iv->second);
      } else {
        const auto p = producer(u);
        BF_CHECK(p.has_value() && account_buffer_.count(*p), ErrorKind::Internal,
                 "sound program: no magnitude for '{}' (an input of '{}')", g_.value(u).name, nd.name);
        op.reads.push_back(account_buffer_.at(*p));
      }
    }
    if (relax_needed_.count(n)) op.reads.push_back(relaxation(n));
    op.writes.push_back(account(n));
    if (ibp_nodes_.count(n)) {
      op.reads.push_back(interval(nd.outputs[0]));
      op.writes.push_back(interval(nd.outputs[0]));
    }
    forward_.push_back(std::move(op));
  }

  void flush_forward() {
    if (forward_.empty()) return;
    Task t;
    t.id = static_cast<TaskId>(program_.tasks.size());
    t.kind = TaskKind::Bound;
    t.name = "t" + std::to_string(t.id);
    t.ops = std::move(forward_);
    forward_.clear();
    program_.tasks.push_back(std::move(t));
  }

  void emit_interval(NodeId n) {
    const Node& nd = node(n);
    TaskOp op;
    op.node = n;
    op.op = nd.op;
    op.kind = TaskOpKind::Interval;
    op.inputs = nd.inputs;
    op.outputs = nd.outputs;
    for (ValueId u : activation_operands(g_, nd)) op.reads.push_back(interval(u));
    op.writes.push_back(interval(nd.outputs[0]));
    forward_.push_back(std::move(op));
  }

  void emit_relax(NodeId n) {
    TaskOp op;
    op.node = n;
    op.op = node(n).op;
    op.kind = TaskOpKind::Relax;
    op.reads = {interval(node(n).inputs[0])};
    op.writes = {relaxation(n)};
    forward_.push_back(std::move(op));
  }

  void emit_sweep(const Sweep& s) {
    const ValueId v = s.start;
    // Rows are (sample, element) pairs: at most every element of every sample
    // (alpha: exactly the fixed list, at least one row of room).
    const bool alpha = options_.alpha || options_.branch;
    const bool final_sweep = v == output_;
    const bool optimise_lines = options_.alpha || (options_.branch && final_sweep);
    const bool beta = options_.branch && final_sweep;
    const std::int64_t capacity =
        alpha ? std::max<std::int64_t>(1, options_.fixed_rows.at(v)) : config_.batch * g_.type(v).numel();
    auto chunk_it = options_.rows_per_chunk.find(v);
    const std::int64_t chunk =
        chunk_it == options_.rows_per_chunk.end() ? capacity : std::clamp<std::int64_t>(chunk_it->second, 1, capacity);
    SweepInfo info;
    info.value = v;
    info.rows = s.rows;
    info.row_capacity = capacity;
    info.rows_per_chunk = chunk;
    info.lower = final_sweep ? options_.lower : true;
    info.upper = final_sweep ? options_.upper : true;
    info.alpha = alpha;
    const std::string tag = "@s" + std::to_string(s.index);

    BufferSpec rows;
    rows.name = "rows" + tag;
    rows.layout = BufferLayout::Raw;
    rows.shape = {SweepRowsView::bytes(capacity)};
    rows.sweep = s.index;
    if (alpha) rows.scope = BufferScope::State;
    info.rows_buffer = add_buffer(rows, DType::U8, 1);

    BufferSpec bias;
    bias.name = "bias" + tag;
    bias.layout = BufferLayout::Interval;
    bias.shape = {chunk};
    bias.sweep = s.index;
    info.bias_buffer = add_buffer(bias, config_.dtype, 1);

    std::map<ValueId, BufferId> a_buffers;
    auto a_of = [&](ValueId u) {
      auto it = a_buffers.find(u);
      if (it != a_buffers.end()) return it->second;
      BufferSpec a;
      a.name = "A[" + g_.value(u).name + "]" + tag;
      a.layout = BufferLayout::Linear;
      a.window = s.windows.at(u);
      a.shape = {chunk, row_elements(a.window, g_.type(u).shape)};
      a.value = u;
      a.sweep = s.index;
      return a_buffers[u] = add_buffer(a, config_.dtype, 1);
    };

    // Select, in the forward part: the row list, and the start's interval
    // claimed. alpha: the list is given; Restore claims the interval from the
    // best bounds so far (and what IBP found this run, when it ran).
    TaskOp select;
    select.node = producer(v).value_or(-1);
    if (select.node >= 0) select.op = node(select.node).op;
    select.start = s.index;
    if (alpha) {
      select.kind = TaskOpKind::Restore;
      select.reads = {best(v)};
      if (ibp_computes(v)) select.reads.push_back(interval(v));
      select.writes = {interval(v)};
    } else {
      select.kind = TaskOpKind::Select;
      if (s.rows == SweepRows::Unstable) select.reads = {interval(v)};
      select.writes = {info.rows_buffer, interval(v)};
    }
    forward_.push_back(std::move(select));
    flush_forward();

    Task t;
    t.id = static_cast<TaskId>(program_.tasks.size());
    t.kind = TaskKind::Sweep;
    t.name = "t" + std::to_string(t.id);
    t.sweep = s.index;
    info.task = t.id;

    TaskOp seed;
    seed.kind = TaskOpKind::Seed;
    seed.start = s.index;
    seed.reads = {info.rows_buffer};
    seed.writes = {a_of(v), info.bias_buffer};
    t.ops.push_back(std::move(seed));

    // alpha: the parameters of each node with optimisable lines, and their gradients.
    auto alpha_of = [&](NodeId n, bool grad) {
      auto& table = grad ? info.grad_buffers : info.alpha_buffers;
      auto it = table.find(n);
      if (it != table.end()) return it->second;
      const Node& nd = node(n);
      BufferSpec a;
      a.name = std::string(grad ? "grad[" : "alpha[") + nd.name + "]" + tag;
      a.layout = BufferLayout::Alpha;
      a.scope = BufferScope::State;
      a.window = s.windows.at(nd.outputs[0]);
      a.shape = {capacity, alpha_params(nd) * row_elements(a.window, g_.type(nd.outputs[0]).shape)};
      a.value = nd.outputs[0];
      a.sweep = s.index;
      return table[n] = add_buffer(a, config_.dtype, 1);
    };
    auto optimised = [&](const Node& nd) { return optimise_lines && alpha_params(nd) > 0; };
    // beta: per ReLU input z, the parameters, their gradients and the scores.
    auto beta_of = [&](ValueId z, std::map<ValueId, BufferId>& table, const char* what) {
      auto it = table.find(z);
      if (it != table.end()) return it->second;
      const LinearWindow& w = s.windows.at(z);
      BF_CHECK(!w.spatial || w.full(), ErrorKind::Internal, "beta at '{}': the final sweep's rows are not whole",
               g_.value(z).name);
      BufferSpec b;
      b.name = std::string(what) + "[" + g_.value(z).name + "]" + tag;
      b.layout = BufferLayout::Alpha;
      b.scope = BufferScope::State;
      b.window = w;
      b.shape = {capacity, static_cast<std::int64_t>(options_.branch_elements.at(z).size())};
      b.value = z;
      b.sweep = s.index;
      return table[z] = add_buffer(b, config_.dtype, 1);
    };

    std::set<BufferId> written = {a_of(v)};
    for (NodeId n : s.cone) {
      const Node& nd = node(n);
      if (beta && nd.op == OpKind::Relu && split_inputs_.count(nd.inputs[0])) {
        // A at the ReLU's output is complete: its scores.
        const ValueId z = nd.inputs[0];
        t.ops.push_back(sweep_step(n, TaskOpKind::Score, s.index, {a_of(nd.outputs[0]), interval(z)},
                                   {beta_of(z, info.score_buffers, "score")}));
      }
      if (beta && split_inputs_.count(nd.outputs[0])) {
        // A at a ReLU input is complete: the split constraints enter here.
        const ValueId z = nd.outputs[0];
        const BufferId k = beta_of(z, info.beta_buffers, "beta");
        t.ops.push_back(sweep_step(n, TaskOpKind::Beta, s.index, {a_of(z), k, interval(z)}, {a_of(z), k}));
      }
      if (config_.sound_fp && rounding_terms(g_, nd).backward > 0) {
        // Its rounding, charged to the bias while A of its output is complete.
        TaskOp charge;
        charge.node = n;
        charge.op = nd.op;
        charge.kind = TaskOpKind::Charge;
        charge.start = s.index;
        charge.reads = {a_of(nd.outputs[0]), account(n), info.bias_buffer};
        charge.writes = {info.bias_buffer};
        charge.accumulate = {true};
        t.ops.push_back(std::move(charge));
      }
      TaskOp op;
      op.node = n;
      op.op = nd.op;
      op.kind = TaskOpKind::Backward;
      op.start = s.index;
      op.reads = {a_of(nd.outputs[0])};
      if (relaxed(nd)) op.reads.push_back(relaxation(n));
      if (optimised(nd)) op.reads.push_back(interval(nd.inputs[0]));
      op.reads.push_back(info.bias_buffer);
      for (ValueId u : activation_operands(g_, nd)) {
        const BufferId b = a_of(u);
        if (std::find(op.writes.begin(), op.writes.end(), b) != op.writes.end()) continue;
        op.writes.push_back(b);
        op.accumulate.push_back(!written.insert(b).second);
      }
      op.writes.push_back(info.bias_buffer);
      op.accumulate.push_back(true);
      if (optimised(nd)) {
        // Read, then written back clamped into range (CROWN's choice where NaN).
        op.reads.push_back(alpha_of(n, false));
        op.writes.push_back(alpha_of(n, false));
        op.accumulate.push_back(false);
      }
      t.ops.push_back(std::move(op));
    }

    TaskOp concretize;
    concretize.kind = TaskOpKind::Concretize;
    concretize.start = s.index;
    concretize.reads = {a_of(input_), info.bias_buffer, interval(input_), info.rows_buffer, interval(v)};
    concretize.writes = {interval(v)};
    if (final_sweep && options_.export_input_coefficients) {
      BufferSpec e;
      e.name = "dydx" + tag;
      e.layout = BufferLayout::Linear;
      e.scope = BufferScope::State;
      e.window = s.windows.at(input_);
      BF_CHECK(!e.window.spatial || e.window.full(), ErrorKind::Internal, "exported input rows must be whole");
      e.shape = {capacity, g_.type(input_).numel()};
      e.value = input_;
      e.sweep = s.index;
      info.export_buffer = add_buffer(e, config_.dtype, 1);
      concretize.writes.push_back(info.export_buffer);
    }
    t.ops.push_back(std::move(concretize));

    if (optimise_lines && (!options_.branch || options_.branch_gradients))
      emit_duals(s, t, info, a_of, alpha_of, beta_of);
    if (beta) {
      for (ValueId z : split_inputs_) info.branch_elements[z] = options_.branch_elements.at(z);
    }

    program_.tasks.push_back(std::move(t));
    program_.sweeps.push_back(info);
  }

  // alpha: the rows' relaxed forward values (D) from the input corner up to the
  // highest node with optimised lines, and their gradients there.
  template <typename AOf, typename AlphaOf, typename BetaOf>
  void emit_duals(const Sweep& s, Task& t, SweepInfo& info, AOf& a_of, AlphaOf& alpha_of, BetaOf& beta_of) {
    std::vector<NodeId> up(s.cone.rbegin(), s.cone.rend());  // ascending topological order
    std::int64_t top = -1;
    for (std::size_t i = 0; i < up.size(); ++i) {
      if (alpha_params(node(up[i])) > 0) top = static_cast<std::int64_t>(i);
    }
    if (top < 0) return;
    const std::string tag = "@s" + std::to_string(s.index);
    std::map<ValueId, BufferId> d_buffers;
    auto d_of = [&](ValueId u) {
      auto it = d_buffers.find(u);
      if (it != d_buffers.end()) return it->second;
      BufferSpec d = program_.buffers[static_cast<std::size_t>(a_of(u))];
      d.name = "D[" + g_.value(u).name + "]" + tag;
      d.scope = BufferScope::Intermediate;
      d.layout = BufferLayout::Dual;
      return d_buffers[u] = add_buffer(d, config_.dtype, 1);
    };
    TaskOp seed;
    seed.kind = TaskOpKind::DualSeed;
    seed.start = s.index;
    seed.reads = {a_of(input_), interval(input_), info.rows_buffer};
    seed.writes = {d_of(input_)};
    t.ops.push_back(std::move(seed));
    for (std::int64_t i = 0; i <= top; ++i) {
      const NodeId n = up[static_cast<std::size_t>(i)];
      const Node& nd = node(n);
      TaskOp op;
      op.node = n;
      op.op = nd.op;
      op.kind = TaskOpKind::Dual;
      op.start = s.index;
      for (ValueId u : activation_operands(g_, nd)) {
        const BufferId b = d_of(u);
        if (std::find(op.reads.begin(), op.reads.end(), b) == op.reads.end()) op.reads.push_back(b);
      }
      if (relaxed(nd)) {
        op.reads.push_back(a_of(nd.outputs[0]));
        op.reads.push_back(relaxation(n));
      }
      op.writes = {d_of(nd.outputs[0])};
      if (alpha_params(nd) > 0) {
        op.reads.push_back(interval(nd.inputs[0]));
        op.reads.push_back(alpha_of(n, false));
        op.writes.push_back(alpha_of(n, true));
      }
      t.ops.push_back(std::move(op));
      if (info.beta_buffers.count(nd.outputs[0])) {
        const ValueId z = nd.outputs[0];
        t.ops.push_back(sweep_step(n, TaskOpKind::BetaGradient, s.index, {d_of(z)},
                                   {beta_of(z, info.beta_grad_buffers, "beta_grad")}));
      }
    }
  }

  BufferId best(ValueId v) {
    auto it = best_buffers_.find(v);
    if (it != best_buffers_.end()) return it->second;
    BufferSpec s;
    s.name = "best[" + g_.value(v).name + "]";
    s.scope = BufferScope::State;
    s.shape = g_.type(v).shape;
    s.layout = BufferLayout::Interval;
    s.value = v;
    return best_buffers_[v] = add_buffer(s);
  }

  // A step of sweep `start` at node n that reads and writes whole buffers.
  TaskOp sweep_step(NodeId n, TaskOpKind kind, std::int32_t start, std::vector<BufferId> reads,
                    std::vector<BufferId> writes) const {
    TaskOp op;
    op.node = n;
    op.op = node(n).op;
    op.kind = kind;
    op.start = start;
    op.reads = std::move(reads);
    op.writes = std::move(writes);
    return op;
  }

  // branch: a value with intermediate bounds and no sweep takes the domain's
  // bounds (intersected with what IBP found this run, where it ran).
  void emit_domain_restore(NodeId n) {
    const ValueId v = node(n).outputs[0];
    TaskOp restore;
    restore.node = n;
    restore.op = node(n).op;
    restore.kind = TaskOpKind::Restore;
    restore.reads = {best(v)};
    if (ibp_computes(v)) restore.reads.push_back(interval(v));
    restore.writes = {interval(v)};
    forward_.push_back(std::move(restore));
  }

  void emit() {
    interval(input_);
    if (options_.branch) {
      for (const auto& n : g_.nodes()) {
        if (n.op != OpKind::Relu || n.inputs[0] == input_) continue;
        auto it = options_.branch_elements.find(n.inputs[0]);
        if (it != options_.branch_elements.end() && !it->second.empty()) split_inputs_.insert(n.inputs[0]);
      }
    }
    for (std::size_t i = 0; i < g_.nodes().size(); ++i) {
      const auto n = static_cast<NodeId>(i);
      if (relax_needed_.count(n)) emit_relax(n);
      if (ibp_nodes_.count(n)) emit_interval(n);
      if (config_.sound_fp && (ibp_nodes_.count(n) || in_cone_.count(n))) emit_account(n);
      const ValueId v = node(n).outputs[0];
      if (options_.branch && bounded_.count(v) && !sweep_of_.count(v)) emit_domain_restore(n);
      auto it = sweep_of_.find(v);
      if (it != sweep_of_.end()) emit_sweep(sweeps_[static_cast<std::size_t>(it->second)]);
    }
    emit_sweep(sweeps_.back());
  }

  const Graph& g_;
  const PlannerConfig& config_;
  const CrownProgramOptions& options_;
  std::vector<std::optional<NodeId>> producers_;
  std::map<ValueId, std::vector<NodeId>> consumers_;
  ValueId input_ = -1, output_ = -1;
  std::set<ValueId> bounded_;
  std::set<ValueId> split_inputs_;  // branch: the ReLU inputs beta enters at
  std::vector<ValueId> bounded_order_;
  std::map<ValueId, SweepRows> sweep_rows_;
  std::vector<Sweep> sweeps_;
  std::map<ValueId, std::int32_t> sweep_of_;  // intermediate sweeps by start value
  std::set<NodeId> relax_needed_, ibp_nodes_, in_cone_;
  std::map<NodeId, BufferId> relax_buffer_, account_buffer_;
  std::map<ValueId, BufferId> best_buffers_;
  std::vector<TaskOp> forward_;
  BoundProgram program_;
};

}  // namespace

BoundProgram build_crown_program(const Graph& graph, const PlannerConfig& config, const CrownProgramOptions& options,
                                 CrownProgramInfo* info) {
  return Builder(graph, config, options).build(info);
}

}  // namespace bf
