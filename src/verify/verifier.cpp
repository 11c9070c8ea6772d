#include "verify/verifier.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "methods/bound_method.h"
#include "methods/branch_bounds.h"
#include "support/error.h"
#include "support/outward_round.h"
#include "support/timer.h"
#include "verify/falsify.h"
#include "verify/input_split.h"
#include "verify/mip_refine.h"
#include "verify/point_evaluator.h"
#include "verify/relu_split.h"
#include "verify/search_pace.h"
#include "verify/sound_proof.h"

namespace bf {

namespace {

// The polytopes of a case that the rows' lower bounds do not refute (attack targets).
std::vector<bool> open_polytopes(const CaseProblem& p, const std::vector<double>& lower) {
  std::vector<bool> open(static_cast<std::size_t>(p.num_polytopes()), true);
  for (std::int64_t k = 0; k < p.num_polytopes(); ++k) {
    for (std::int64_t i = p.polytope_start[static_cast<std::size_t>(k)];
         i < p.polytope_start[static_cast<std::size_t>(k) + 1]; ++i) {
      if (row_refuted(lower[static_cast<std::size_t>(i)], p.rhs[static_cast<std::size_t>(i)])) {
        open[static_cast<std::size_t>(k)] = false;
      }
    }
  }
  return open;
}

// Bounds of the case's rows over its whole box by `method` (the search's: plain
// f32; f64 runs on the reference executor, --fast-unsound-fp --recheck-unsat-f64).
BoundResult root_bounds(std::shared_ptr<const Graph> graph, const CaseProblem& p, const std::string& method,
                        const VerifyOptions& o, DType dtype = DType::F32, bool intermediates = false) {
  BoundRequest req;
  req.graph = std::move(graph);
  req.spec = p.spec(dtype);
  req.region = input_box(p.lower, p.upper, req.graph->type(req.graph->inputs()[0]).shape, dtype, /*outward=*/true);
  if (dtype == DType::F64) req.executor = ExecutorKind::Reference;
  req.max_memory = o.max_memory;
  req.upper = false;
  req.alpha = o.alpha;
  // alpha-CROWN stops once every row clears its right-hand side with twice the
  // margin (case_refuted still decides): a proved case needs no more steps.
  req.alpha.stop_at_lower.clear();
  for (double b : p.rhs) req.alpha.stop_at_lower.push_back(b + 2.0 * unsat_margin(b, b));
  req.export_intermediates = intermediates;
  return make_bound_method(method)->compute(req);
}

std::vector<double> row_lower(const BoundResult& r) { return r.outputs[0].lower.to_double_vector(); }

// The bounds of every ReLU input of a dense form, layer by layer (what MIP refinement works on).
struct ReluRootBounds {
  std::vector<std::vector<float>> lower, upper;
};

// The bounds of every ReLU input of `net` among a bound computation's intermediates.
ReluRootBounds relu_root(const ReluNetwork& net, const std::vector<OutputBounds>& intermediates) {
  ReluRootBounds root;
  for (const std::string& name : net.relu_input_names) {
    auto it = std::find_if(intermediates.begin(), intermediates.end(),
                           [&](const OutputBounds& ob) { return ob.name == name; });
    BF_CHECK(it != intermediates.end(), ErrorKind::Internal, "relu split: no intermediate bounds of {}", name);
    // Rounded outward to f32: the bounds stay bounds.
    const auto lo = it->lower.to_double_vector(), hi = it->upper.to_double_vector();
    std::vector<float> l(lo.size()), u(hi.size());
    for (std::size_t i = 0; i < lo.size(); ++i) {
      l[i] = round_down<float>(lo[i]);
      u[i] = round_up<float>(hi[i]);
    }
    root.lower.push_back(std::move(l));
    root.upper.push_back(std::move(u));
  }
  return root;
}

// The bounds of every ReLU input of `net`, written back into `bounds` (by name).
void write_relu_root(const ReluNetwork& net, const ReluRootBounds& root, std::vector<OutputBounds>& bounds) {
  for (std::size_t k = 0; k < net.relu_input_names.size(); ++k) {
    auto it = std::find_if(bounds.begin(), bounds.end(),
                           [&](const OutputBounds& ob) { return ob.name == net.relu_input_names[k]; });
    BF_CHECK(it != bounds.end(), ErrorKind::Internal, "relu split: no intermediate bounds of {}",
             net.relu_input_names[k]);
    std::vector<double> lo(root.lower[k].begin(), root.lower[k].end()), hi(root.upper[k].begin(), root.upper[k].end());
    it->lower = Tensor::from_vector<double>(it->lower.shape(), lo);
    it->upper = Tensor::from_vector<double>(it->upper.shape(), hi);
  }
}

// MIP refinement's CROWN pass between layers, through the planned program
// (sound f64 with sound floating point): every value bounded again over the
// whole box through the bounds refined so far, the tighter kept.
std::int64_t tighten_through_program(std::shared_ptr<const Graph> graph, const CaseProblem& p, const ReluNetwork& net,
                                     std::vector<OutputBounds> bounds, const VerifyOptions& o,
                                     std::vector<std::vector<float>>& lo, std::vector<std::vector<float>>& hi) {
  write_relu_root(net, ReluRootBounds{lo, hi}, bounds);
  const DType dtype = o.sound_fp ? DType::F64 : DType::F32;
  BoundRequest req;
  req.graph = graph;
  req.spec = p.spec(dtype);
  req.region = input_box(p.lower, p.upper, graph->type(graph->inputs()[0]).shape, dtype, dtype == DType::F32);
  req.max_memory = o.max_memory;
  req.sound_fp = o.sound_fp;
  BranchBounds bb(req, bounds, 1);
  const std::vector<BranchSplit> none;
  const std::vector<std::int64_t> rows{0};
  std::vector<float> params(static_cast<std::size_t>(bb.params_per_row()), 0.0f);
  BranchDomain d;
  d.splits = &none;
  d.rows = &rows;
  d.params = {&params};
  BranchBoundOptions opt;
  opt.tighten = true;
  const BranchBoundResult r = bb.bound({d}, opt);
  if (r.infeasible.at(0)) return 0;  // the whole box is feasible: only rounding could say otherwise
  std::int64_t stabilised = 0;
  for (std::size_t k = 0; k < lo.size(); ++k) {
    const std::int64_t at = bb.bounded_offset(*graph->find_value(net.relu_input_names[k]));
    if (at < 0) continue;
    for (std::size_t j = 0; j < lo[k].size(); ++j) {
      const auto i = static_cast<std::size_t>(at) + j;
      const bool was = lo[k][j] < 0.0f && hi[k][j] > 0.0f;
      lo[k][j] = std::max(lo[k][j], r.lo[0][i]);
      hi[k][j] = std::min(hi[k][j], r.hi[0][i]);
      if (was && !(lo[k][j] < 0.0f && hi[k][j] > 0.0f)) ++stabilised;
    }
  }
  return stabilised;
}

// ReLU split on one case from `root` (every intermediate value's bounds over
// its box). With --mip-refine, where the network has a dense form: branch and
// bound alone first (easy cases end there, without programs); where the case
// had at least 3 x `mip_after_s` (the programs take minutes to pay), from
// `mip_after_s` on it gives way to programs once the pace it closes its search
// space at (over the last half of its time) would not close the rest by the
// deadline; then branch and bound again from the refined bounds.
SplitOutcome relu_split_case(CounterexampleChecker& checker, std::size_t k, const CaseProblem& problem,
                             std::shared_ptr<const Graph> graph, std::vector<OutputBounds> root, const VerifyOptions& o,
                             PointEvaluator& eval, std::mt19937_64& rng, const std::function<double()>& elapsed,
                             double deadline, double split_start, VerifyStats& stats) {
  std::optional<ReluNetwork> net;  // the dense form, where there is one: attacks inside domains, MIP
  try {
    net = extract_relu_network(*graph, problem);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Unsupported) throw;
  }
  ReluSplitSetup setup;
  setup.graph = graph;
  setup.root = &root;
  setup.sound_root = o.sound_fp ? &root : nullptr;
  setup.dense = net ? &*net : nullptr;
  const bool mip = net && o.mip_refine && deadline - elapsed() >= 3000.0 * o.mip_after_s;
  std::function<bool(double)> give_way;
  if (mip) {
    give_way = [&elapsed, pace = SearchPace(split_start, 1000.0 * o.mip_after_s, deadline)](double closed) mutable {
      return pace.behind(elapsed(), closed);
    };
  }
  SplitOutcome outcome = relu_split(checker, k, problem, setup, o, eval, rng, elapsed, deadline, stats, give_way);
  if (!mip || outcome.verdict != Verdict::Timeout || elapsed() >= deadline) return outcome;
  ReluRootBounds refined = relu_root(*net, root);
  MipRefineOptions mo;
  mo.neuron_seconds = o.mip_neuron_s;
  mo.max_nodes = o.mip_nodes;
  mo.processes = std::max(1, o.jobs > 0 ? o.jobs : omp_get_max_threads());
  mo.sound = o.sound_fp;
  const double until = elapsed() + o.mip_share * std::max(0.0, deadline - elapsed());
  mo.stop = [&] { return elapsed() > until; };
  mo.tighten = [&](std::vector<std::vector<float>>& lo, std::vector<std::vector<float>>& hi) {
    return tighten_through_program(graph, problem, *net, root, o, lo, hi);
  };
  const MipRefineStats ms = mip_refine(*net, problem.lower, problem.upper, refined.lower, refined.upper, mo);
  stats.mip_programs += ms.programs;
  stats.mip_tightened += ms.tightened;
  stats.mip_stabilised += ms.stabilised + ms.crown_stabilised;
  stats.mip_failed_checks += ms.failed_checks;
  stats.mip_s += ms.seconds;
  stats.mip_layers += ms.layers;
  stats.mip_layers_to_do += net->relu_layers() - 1;
  stats.mip_processes = std::max(stats.mip_processes, ms.processes);
  write_relu_root(*net, refined, root);
  return relu_split(checker, k, problem, setup, o, eval, rng, elapsed, deadline, stats);
}

}  // namespace

namespace {

VerifyResult search(CounterexampleChecker& checker, const VerifyOptions& options) {
  const std::shared_ptr<const Graph> graph = checker.shared_graph();
  const VnnlibProperty& property = checker.property();
  VerifyOptions o = options;
  Stopwatch watch;
  const auto elapsed = [&] { return watch.elapsed_ms(); };
  // Stop early enough to write the answer: 5% of the limit, at least 0.2 s.
  const double deadline = std::max(0.0, o.timeout_s * 1000.0 - std::max(200.0, 0.05 * o.timeout_s * 1000.0));
  BF_CHECK(o.method == "auto" || o.method == "crown" || o.method == "alpha-crown", ErrorKind::Usage,
           "--method: must be one of auto, crown, alpha-crown (got {})", o.method);
  const Graph& g = *graph;
  const std::int64_t n_out = g.type(g.outputs()[0]).numel();
  const std::int64_t n_in = numel(g.type(g.inputs()[0]).shape);
  VerifyResult result;
  std::mt19937_64 rng(o.seed);
  std::vector<CaseProblem> problems;
  for (const auto& c : property.cases) problems.push_back(case_problem(c, n_out));
  // Output coefficients that f32 cannot hold exactly (e.g. 0.1 y0): the f32
  // bounds are of a rounded C, so every proof is re-checked in f64.
  for (const auto& p : problems) o.recheck_unsat_f64 = o.recheck_unsat_f64 || !p.spec_exact_in_f32();
  // Gain splitting bounds both halves of a split in one call.
  if (o.split == SplitHeuristic::Gain) o.split_batch = std::max<std::int64_t>(o.split_batch, 2);
  auto sat = [&](Counterexample cex, const char* by) {
    if (property.version == 2) {
      cex.layout = {{property.input.name, property.input.type, property.input.shape},
                    {property.output.name, property.output.type, property.output.shape}};
    }
    result.verdict = Verdict::Sat;
    result.counterexample = std::move(cex);
    result.stats.decided_by = by;
    result.message = fmt::format("counterexample found by {}", by);
    return result;
  };
  std::vector<bool> proved(problems.size(), false);
  std::vector<std::vector<double>> lowers(problems.size());
  std::vector<std::shared_ptr<const AlphaValues>> alphas(problems.size());  // the search's alpha-CROWN parameters
  const bool margin = !o.sound_fp;
  auto sound_options = [&](const std::string& method) {
    return sound_proof_options(o, method, [&] { return deadline - elapsed(); });
  };
  // A proof counts once the sound program confirms it (f32, then f64); with
  // --fast-unsound-fp, once its plain bound clears the margin (and holds again
  // in f64 when asked).
  auto refuted = [&](std::size_t k, const std::string& method) {
    if (!case_refuted(problems[k], lowers[k].data(), nullptr, margin)) return false;
    if (o.sound_fp) {
      SoundProver prover(graph, problems[k], sound_options(method));
      return static_cast<bool>(prover.prove({&problems[k].lower}, {&problems[k].upper}, result.stats, alphas[k])[0]);
    }
    return !o.recheck_unsat_f64 ||
           case_refuted(problems[k], row_lower(root_bounds(graph, problems[k], method, o, DType::F64)).data(), nullptr,
                        true);
  };
  // 1. CROWN over each whole box (alpha-CROWN with --method alpha-crown):
  // milliseconds, and on many properties the whole answer.
  const std::string first = o.method == "alpha-crown" ? "alpha-crown" : "crown";
  {
    Stopwatch w;
    for (std::size_t k = 0; k < problems.size() && elapsed() < deadline; ++k) {
      lowers[k] = row_lower(root_bounds(graph, problems[k], first, o));
      proved[k] = refuted(k, first);
    }
    result.stats.bound_ms += w.elapsed_ms();
  }
  auto all_proved = [&] { return std::all_of(proved.begin(), proved.end(), [](bool b) { return b; }); };
  if (all_proved()) {
    result.verdict = Verdict::Unsat;
    result.stats.decided_by = "bounds";
    result.message = "every case proved by bounds over its whole box";
    return result;
  }
  // Evaluators for attacks, one per open case (compiled once).
  std::vector<std::unique_ptr<PointEvaluator>> evals(problems.size());
  for (std::size_t k = 0; k < problems.size(); ++k) {
    if (proved[k]) continue;
    const CaseProblem& p = problems[k];
    const std::int64_t batch = std::clamp<std::int64_t>(8 * std::max<std::int64_t>(1, p.num_polytopes()), 8, 64);
    evals[k] = std::make_unique<PointEvaluator>(graph, p, batch, o.max_memory);
  }
  // 2. A short attack on every open case.
  {
    Stopwatch w;
    for (std::size_t k = 0; k < problems.size(); ++k) {
      if (proved[k]) continue;
      FalsifyBudget b;
      b.samples = 256;
      b.restarts = 4;
      b.steps = 20;
      b.odi_steps = 5;
      b.deadline_ms = deadline;
      FalsifyStats fs;
      auto cex =
          falsify_box(checker, k, problems[k], problems[k].lower, problems[k].upper, *evals[k], b, rng, elapsed, fs);
      result.stats.samples += fs.samples;
      result.stats.attack_steps += fs.steps;
      if (cex) {
        result.stats.falsify_ms += w.elapsed_ms();
        return sat(std::move(*cex), fs.steps == 0 ? "sampling" : "pgd");
      }
    }
    result.stats.falsify_ms += w.elapsed_ms();
  }
  // 3. alpha-CROWN over the whole box where CROWN fell short (--method auto,
  // high-dimensional inputs; small ones go to input split).
  std::vector<std::vector<bool>> open(problems.size());
  std::vector<std::vector<OutputBounds>> inter(problems.size());  // alpha-CROWN's intermediate bounds, per case
  {
    Stopwatch w;
    for (std::size_t k = 0; k < problems.size(); ++k) {
      if (!proved[k] && o.method == "auto" && n_in > o.max_split_inputs && elapsed() < deadline) {
        BoundResult r = root_bounds(graph, problems[k], "alpha-crown", o, DType::F32, true);
        lowers[k] = row_lower(r);
        inter[k] = std::move(r.intermediates);
        alphas[k] = r.alpha;
        proved[k] = refuted(k, "alpha-crown");
      }
      if (!lowers[k].empty()) open[k] = open_polytopes(problems[k], lowers[k]);
    }
    result.stats.bound_ms += w.elapsed_ms();
  }
  if (std::all_of(proved.begin(), proved.end(), [](bool b) { return b; })) {
    result.verdict = Verdict::Unsat;
    result.stats.decided_by = "bounds";
    result.message = "every case proved by bounds over its whole box";
    return result;
  }
  // 4. What is left: input split for small inputs, ReLU split otherwise;
  // longer attacks where the network is not ReLU split's kind (said in stats.bab).
  bool unknown = false;
  bool relu_bab_possible = true;  // false once the CROWN rules leave a node of the graph uncovered
  for (std::size_t k = 0; k < problems.size(); ++k) {
    if (proved[k]) continue;
    if (elapsed() > deadline) {
      result.verdict = Verdict::Timeout;
      return result;
    }
    const bool input_bab = o.bab == BabKind::Input || (o.bab == BabKind::Auto && n_in <= o.max_split_inputs);
    std::optional<SplitOutcome> outcome;
    double split_start = elapsed();
    if (!input_bab && relu_bab_possible) {
      split_start = elapsed();
      Stopwatch setup;
      const std::string root_method = o.method == "crown" ? "crown" : "alpha-crown";
      if (inter[k].empty()) {
        BoundResult r = root_bounds(graph, problems[k], root_method, o, DType::F32, true);
        inter[k] = std::move(r.intermediates);
        alphas[k] = r.alpha;
      }
      // The relaxations of branch and bound rest on these bounds: sound ones
      // (f64, the search's parameters) unless --fast-unsound-fp; the search
      // and its proofs both start from them.
      if (o.sound_fp)
        inter[k] = SoundProver(graph, problems[k], sound_options(root_method)).root_intermediates(alphas[k]);
      result.stats.relu_setup_ms += setup.elapsed_ms();
      try {
        outcome = relu_split_case(checker, k, problems[k], graph, inter[k], o, *evals[k], rng, elapsed, deadline,
                                  split_start, result.stats);
        result.stats.bab = "relu";
      } catch (const Error& e) {
        if (o.bab == BabKind::Relu || e.kind() != ErrorKind::Unsupported) throw;
        relu_bab_possible = false;
        result.stats.bab = std::string("none (") + e.what() + ")";
      }
    } else if (input_bab) {
      result.stats.bab = "input";
      outcome = input_split(checker, k, problems[k], o, *evals[k], rng, elapsed, deadline, result.stats);
    }
    if (outcome) {
      result.stats.split_ms += elapsed() - split_start;
      if (outcome->verdict == Verdict::Sat)
        return sat(std::move(*outcome->counterexample), input_bab ? "input split" : "relu split");
      if (outcome->verdict == Verdict::Timeout) {
        result.verdict = Verdict::Timeout;
        return result;
      }
      if (outcome->verdict == Verdict::Unknown) unknown = true;
      continue;
    }
    // High-dimensional: attack the polytopes bounds left open, with many
    // restarts, until this case's share of the remaining time is spent.
    Stopwatch w;
    std::int64_t left = 0;
    for (std::size_t j = k; j < problems.size(); ++j) left += proved[j] ? 0 : 1;
    const double until = std::min(deadline, elapsed() + 0.9 * (deadline - elapsed()) / static_cast<double>(left));
    while (elapsed() < until) {
      FalsifyBudget b;
      b.samples = 0;
      b.restarts = 8;
      b.steps = 100;
      b.odi_steps = 5;
      b.deadline_ms = until;
      b.targets = open[k];
      FalsifyStats fs;
      auto cex =
          falsify_box(checker, k, problems[k], problems[k].lower, problems[k].upper, *evals[k], b, rng, elapsed, fs);
      result.stats.attack_steps += fs.steps;
      if (cex) {
        result.stats.falsify_ms += w.elapsed_ms();
        return sat(std::move(*cex), "pgd");
      }
    }
    result.stats.falsify_ms += w.elapsed_ms();
    unknown = true;
  }
  if (unknown) {
    result.verdict = Verdict::Unknown;
    result.message = "bounds and attacks exhausted";
    return result;
  }
  result.verdict = Verdict::Unsat;
  result.stats.decided_by = result.stats.bab == "relu" ? "relu split" : "input split";
  result.message = "every case proved";
  return result;
}

}  // namespace

VerifyResult verify(std::shared_ptr<const Graph> graph, const VnnlibProperty& property, const VerifyOptions& options) {
  CounterexampleChecker checker(graph, property, options.sat_exact);
  VerifyResult r = search(checker, options);
  // A violation only exact arithmetic shows: the question is decided, but a
  // counterexample the scorer's f32 evaluation would reject is no answer.
  if ((r.verdict == Verdict::Timeout || r.verdict == Verdict::Unknown) && checker.exact_only()) {
    r.verdict = Verdict::Unknown;
    r.message = fmt::format(
        "a point violates the property in exact arithmetic, but f32 evaluation misses the "
        "violation by {:.3g} (over the tolerance {:g}; --sat-exact answers sat)",
        checker.exact_only_miss(), CounterexampleChecker::kF32Tolerance);
  }
  if ((r.verdict == Verdict::Timeout || r.verdict == Verdict::Unknown) && !r.stats.sound_unsupported.empty()) {
    r.verdict = Verdict::Unknown;
    r.message = fmt::format("no bound can be proved sound for this network: {}", r.stats.sound_unsupported);
  }
  // A graph whose constants import or normalisation rounded is not the model:
  // proofs about it are not proofs about the model (docs/soundness.md).
  if (r.verdict == Verdict::Unsat && options.sound_fp && !graph->rounded.empty()) {
    r.verdict = Verdict::Unknown;
    r.message = fmt::format(
        "proved for the network as loaded, whose constants were rounded ({}{}): not a proof for "
        "the model",
        graph->rounded.front(), graph->rounded.size() > 1 ? ", ..." : "");
  }
  return r;
}

}  // namespace bf
