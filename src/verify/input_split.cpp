#include "verify/input_split.h"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <queue>

#include "methods/bound_method.h"
#include "methods/memory_budget.h"
#include "runtime/compiled/compile_cache.h"
#include "support/timer.h"
#include "verify/box_bounder.h"
#include "verify/deferred_proofs.h"
#include "verify/falsify.h"
#include "verify/recheck.h"
#include "verify/sound_proof.h"

namespace bf {

namespace {

using Domain = SplitDomain;

// The OpenMP threads of this thread's kernels, for a scope.
class ThreadsFor {
 public:
  explicit ThreadsFor(int threads) : before_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ThreadsFor() { omp_set_num_threads(before_); }
  ThreadsFor(const ThreadsFor&) = delete;
  ThreadsFor& operator=(const ThreadsFor&) = delete;

 private:
  int before_;
};

struct Harder {
  bool operator()(const Domain& a, const Domain& b) const { return a.score > b.score; }
};

// Row lower and upper bounds of the domains (at most the batch), and the
// lower (and upper) side's coefficients in x, per domain.
void bound_domains(BoxBounder& bounder, const std::vector<const Domain*>& ds, std::vector<double>& lower,
                   std::vector<double>& upper, std::vector<double>& coeff, std::vector<double>* coeff_up = nullptr) {
  std::vector<const std::vector<double>*> lo, hi;
  for (const Domain* d : ds) {
    lo.push_back(&d->lo);
    hi.push_back(&d->hi);
  }
  const BoundResult r = bounder.bound(lo, hi);
  lower = r.outputs[0].lower.to_double_vector();
  upper = r.outputs[0].upper.to_double_vector();
  coeff = r.coeff_lower.defined() ? r.coeff_lower.to_double_vector() : std::vector<double>{};
  if (coeff_up) *coeff_up = r.coeff_upper.defined() ? r.coeff_upper.to_double_vector() : std::vector<double>{};
}

// bound_domains for a batch of plain and sound domains: each kind by its own
// bounder, the results back in the batch's order.
void bound_mixed(BoxBounder& plain, BoxBounder* sound, const std::vector<const Domain*>& ds, std::int64_t rows,
                 std::int64_t n, std::vector<double>& lower, std::vector<double>& upper, std::vector<double>& coeff,
                 std::vector<double>& coeff_up) {
  std::vector<const Domain*> part[2];
  std::vector<std::size_t> at[2];
  for (std::size_t k = 0; k < ds.size(); ++k) {
    const int s = sound != nullptr && ds[k]->sound ? 1 : 0;
    part[s].push_back(ds[k]);
    at[s].push_back(k);
  }
  if (part[1].empty()) return bound_domains(plain, ds, lower, upper, coeff, &coeff_up);
  const auto r = static_cast<std::size_t>(rows), rn = static_cast<std::size_t>(rows * n);
  lower.assign(ds.size() * r, 0.0);
  upper.assign(ds.size() * r, 0.0);
  coeff.assign(ds.size() * rn, 0.0);
  coeff_up.assign(ds.size() * rn, 0.0);
  for (int s = 0; s < 2; ++s) {
    if (part[s].empty()) continue;
    std::vector<double> l, u, c, cu;
    bound_domains(s == 1 ? *sound : plain, part[s], l, u, c, &cu);
    for (std::size_t j = 0; j < part[s].size(); ++j) {
      const std::size_t k = at[s][j];
      std::copy_n(l.begin() + static_cast<std::ptrdiff_t>(j * r), r,
                  lower.begin() + static_cast<std::ptrdiff_t>(k * r));
      std::copy_n(u.begin() + static_cast<std::ptrdiff_t>(j * r), r,
                  upper.begin() + static_cast<std::ptrdiff_t>(k * r));
      if (!c.empty())
        std::copy_n(c.begin() + static_cast<std::ptrdiff_t>(j * rn), rn,
                    coeff.begin() + static_cast<std::ptrdiff_t>(k * rn));
      if (!cu.empty())
        std::copy_n(cu.begin() + static_cast<std::ptrdiff_t>(j * rn), rn,
                    coeff_up.begin() + static_cast<std::ptrdiff_t>(k * rn));
    }
  }
}

BoxBounderSetup split_setup(const VerifyOptions& o, std::int64_t batch, DType dtype) {
  BoxBounderSetup s;
  s.method = o.method == "alpha-crown" ? "alpha-crown" : "crown";
  s.alpha = o.alpha;
  s.dtype = dtype;
  s.input_coefficients = true;
  s.batch = batch;
  s.max_memory = o.max_memory;
  return s;
}

// The hardest polytope's best row of a domain (its lower bounds), or -1.
std::int64_t key_row(const CaseProblem& c, const double* lower) {
  double least = std::numeric_limits<double>::infinity();
  std::int64_t key = -1;
  for (std::int64_t p = 0; p < c.num_polytopes(); ++p) {
    double best = -std::numeric_limits<double>::infinity();
    std::int64_t best_row = -1;
    for (std::int64_t i = c.polytope_start[static_cast<std::size_t>(p)];
         i < c.polytope_start[static_cast<std::size_t>(p) + 1]; ++i) {
      const double v = lower[i] - c.rhs[static_cast<std::size_t>(i)];
      if (v > best) {
        best = v;
        best_row = i;
      }
    }
    if (best_row >= 0 && best < least) {
      least = best;
      key = best_row;
    }
  }
  return key;
}

std::pair<Domain, Domain> halves(const Domain& d, std::int64_t dim) {
  Domain a = d, b = d;
  const auto k = static_cast<std::size_t>(dim);
  const double mid = 0.5 * (d.lo[k] + d.hi[k]);
  a.hi[k] = mid;
  b.lo[k] = mid;
  a.volume = b.volume = 0.5 * d.volume;
  return {a, b};
}

}  // namespace

SplitOutcome input_split(CounterexampleChecker& checker, std::size_t case_index, const CaseProblem& problem,
                         const VerifyOptions& options, PointEvaluator& eval, std::mt19937_64& rng,
                         const std::function<double()>& elapsed_ms, double deadline_ms, VerifyStats& stats) {
  SplitOutcome out;
  const std::shared_ptr<const Graph> shared_graph = checker.shared_graph();
  const std::int64_t n = eval.inputs(), rows = problem.num_rows();
  BoxBounder bounder(shared_graph, problem, split_setup(options, options.split_batch, DType::F32));
  // What the search claims proved counts once the sound program confirms it;
  // with --fast-unsound-fp, once the plain bound clears the margin (and holds
  // again in f64 with --recheck-unsat-f64).
  const bool margin = !options.sound_fp;
  // With two threads or more, one certifies claims beside the search (which
  // keeps the rest); the search's small kernels gain little from a second.
  const int threads = omp_get_max_threads();
  const bool background = options.sound_fp && threads >= 2;
  ThreadsFor search_threads(background ? threads - 1 : threads);
  CompileCache worker_cache;  // the background prover's: no task shared with the search's programs
  std::unique_ptr<SoundProver> prover;
  std::unique_ptr<DeferredProofs> deferred;
  std::unique_ptr<BoxBounder> sound_bounder;  // for `sound` domains
  if (options.sound_fp) {
    SoundProofOptions so = sound_proof_options(options, options.method, [&] { return deadline_ms - elapsed_ms(); });
    so.batch = options.split_batch;
    if (background) so.cache = &worker_cache;
    prover = std::make_unique<SoundProver>(shared_graph, problem, so);
    deferred = std::make_unique<DeferredProofs>(*prover, static_cast<std::size_t>(options.split_batch), background);
    BoxBounderSetup sound =
        split_setup(options, options.split_batch, problem.spec_exact_in_f32() ? DType::F32 : DType::F64);
    sound.sound_fp = true;
    sound_bounder = std::make_unique<BoxBounder>(shared_graph, problem, sound);
  }
  std::unique_ptr<BoxBounder> rechecker;
  if (!options.sound_fp && options.recheck_unsat_f64)
    rechecker = std::make_unique<BoxBounder>(shared_graph, problem, split_setup(options, 1, DType::F64));
  // The queue holds at most what a quarter of the budget fits.
  const std::int64_t budget = options.max_memory > 0 ? options.max_memory : default_memory_budget();
  const auto max_domains = static_cast<std::size_t>(
      std::max<std::int64_t>(1024, budget / 4 / static_cast<std::int64_t>(2 * n * sizeof(double) + 64)));
  std::priority_queue<Domain, std::vector<Domain>, Harder> queue;
  queue.push(Domain{problem.lower, problem.upper, -std::numeric_limits<double>::infinity(), 1.0});
  const bool tty = options.progress && isatty(2) != 0;
  double last_progress = 0.0;
  std::vector<double> lower, upper, coeff, coeff_up;
  const double split_start = elapsed_ms();
  double attack_ms = 0.0;
  std::int64_t rounds = 0;
  auto note_open = [&] {
    if (queue.empty()) return;
    const Domain& top = queue.top();
    stats.open_slack = top.score;
    stats.open_width = 0.0;
    for (std::size_t i = 0; i < top.lo.size(); ++i)
      stats.open_width = std::max(stats.open_width, top.hi[i] - top.lo[i]);
  };
  while (!queue.empty() || (deferred && !deferred->idle())) {
    if (queue.empty()) {
      for (Domain& d : deferred->drain(stats)) queue.push(std::move(d));
      if (!stats.sound_unsupported.empty()) break;
      continue;
    }
    if (elapsed_ms() > deadline_ms) {
      note_open();
      out.verdict = Verdict::Timeout;
      return out;
    }
    std::vector<Domain> batch;
    while (!queue.empty() && static_cast<std::int64_t>(batch.size()) < bounder.batch()) {
      batch.push_back(queue.top());
      queue.pop();
    }
    std::vector<const Domain*> ptrs;
    for (const auto& d : batch) ptrs.push_back(&d);
    bound_mixed(bounder, sound_bounder.get(), ptrs, rows, n, lower, upper, coeff, coeff_up);
    stats.domains_bounded += static_cast<std::int64_t>(batch.size());
    std::vector<Domain> children;
    std::vector<double> open_centres;
    std::vector<double> scores(batch.size(), 0.0);
    std::vector<bool> proofs(batch.size(), false);
    for (std::size_t k = 0; k < batch.size(); ++k) {
      const double* lo = lower.data() + k * static_cast<std::size_t>(rows);
      if (!case_refuted(problem, lo, &scores[k], margin)) continue;
      proofs[k] = true;
      if (batch[k].sound) {  // the sound program's own bound: proved
        ++(problem.spec_exact_in_f32() ? stats.sound_f32 : stats.sound_f64);
      } else if (deferred) {
        deferred->add(std::move(batch[k]));
        continue;
      }
      if (rechecker) {
        std::vector<double> l64, u64, c64;
        bound_domains(*rechecker, {&batch[k]}, l64, u64, c64);
        proofs[k] = case_refuted(problem, l64.data(), nullptr, margin);
      }
      if (proofs[k]) {
        ++stats.domains_proved;
        stats.proved_volume += batch[k].volume;
      }
    }
    for (std::size_t k = 0; k < batch.size(); ++k) {
      Domain& d = batch[k];
      const double* lo = lower.data() + k * static_cast<std::size_t>(rows);
      const double* hi = upper.data() + k * static_cast<std::size_t>(rows);
      const double score = scores[k];
      if (proofs[k]) continue;  // proved, or waiting for the sound program
      // Every row of some polytope below its rhs over the whole domain: any point violates.
      if (satisfied_polytope(problem, hi, 0.0) >= 0) {
        std::vector<double> centre(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i)
          centre[static_cast<std::size_t>(i)] =
              0.5 * (d.lo[static_cast<std::size_t>(i)] + d.hi[static_cast<std::size_t>(i)]);
        if (auto cex = checker.check(case_index, centre)) {
          out.verdict = Verdict::Sat;
          out.counterexample = std::move(cex);
          return out;
        }
      }
      d.score = score;
      for (std::int64_t i = 0; i < n; ++i) {
        open_centres.push_back(0.5 * (d.lo[static_cast<std::size_t>(i)] + d.hi[static_cast<std::size_t>(i)]));
      }
      // Split along the chosen dimension.
      std::int64_t dim = 0;
      if (options.split == SplitHeuristic::Smear || n == 1) {
        // |A| x width of the key row, lower and upper linear bounds together;
        // but a dimension 64 times wider (relative to the box) than the
        // narrowest goes first: a dependence both linear bounds miss (a V
        // shape gives flat chords) would otherwise never be split.
        const std::int64_t key = key_row(problem, lo);
        double best = -1.0, narrowest = std::numeric_limits<double>::infinity(), widest = 0.0;
        std::int64_t widest_dim = 0;
        for (std::int64_t i = 0; i < n; ++i) {
          const auto ki = static_cast<std::size_t>(i);
          const double w = d.hi[ki] - d.lo[ki];
          const double rel = w / std::max(1e-300, problem.upper[ki] - problem.lower[ki]);
          if (w > 0.0) narrowest = std::min(narrowest, rel);
          if (rel > widest) {
            widest = rel;
            widest_dim = i;
          }
          double a = 1.0;
          if (key >= 0 && !coeff.empty()) {
            const std::size_t at =
                (k * static_cast<std::size_t>(rows) + static_cast<std::size_t>(key)) * static_cast<std::size_t>(n) + ki;
            a = std::fabs(coeff[at]) + (coeff_up.empty() ? 0.0 : std::fabs(coeff_up[at]));
          }
          const double s = a * w;
          if (s > best) {
            best = s;
            dim = i;
          }
        }
        if (widest > 64.0 * narrowest) dim = widest_dim;
      } else {
        // Gain: bound both halves of every dimension, keep the best worst half.
        double best = -std::numeric_limits<double>::infinity();
        for (std::int64_t i = 0; i < n; ++i) {
          auto [a, b] = halves(d, i);
          std::vector<double> la, ua, ca;
          bound_domains(bounder, {&a, &b}, la, ua, ca);
          stats.domains_bounded += 2;
          double sa = 0.0, sb = 0.0;
          case_refuted(problem, la.data(), &sa, margin);
          case_refuted(problem, la.data() + rows, &sb, margin);
          if (std::min(sa, sb) > best) {
            best = std::min(sa, sb);
            dim = i;
          }
        }
      }
      auto [a, b] = halves(d, dim);
      a.score = b.score = score;
      children.push_back(std::move(a));
      children.push_back(std::move(b));
    }
    // The centres of the domains still open: a cheap test for counterexamples.
    if (!open_centres.empty()) {
      std::vector<double> values;
      eval.evaluate(open_centres, values, nullptr);
      for (std::size_t c = 0; c * static_cast<std::size_t>(n) < open_centres.size(); ++c) {
        if (!checker.worth_checking(violation_margin(problem, values.data() + c * static_cast<std::size_t>(rows))))
          continue;
        std::vector<double> x(open_centres.begin() + static_cast<std::ptrdiff_t>(c * n),
                              open_centres.begin() + static_cast<std::ptrdiff_t>((c + 1) * n));
        if (auto cex = checker.check(case_index, std::move(x))) {
          out.verdict = Verdict::Sat;
          out.counterexample = std::move(cex);
          return out;
        }
      }
    }
    for (auto& c : children) queue.push(std::move(c));
    if (deferred) {
      for (Domain& d : deferred->after_batch(stats)) queue.push(std::move(d));
    }
    if (!stats.sound_unsupported.empty()) break;
    if (queue.size() > max_domains) {
      note_open();
      out.verdict = Verdict::Unknown;  // the queue would outgrow the memory budget
      return out;
    }
    // Attacks get a third of the time: alternately inside the hardest domain
    // and from fresh random starts over the whole box.
    if (!queue.empty() && attack_ms < 0.5 * (elapsed_ms() - split_start - attack_ms)) {
      Stopwatch aw;
      FalsifyBudget fb;
      fb.samples = 32;
      fb.restarts = 8;
      fb.steps = 30;
      fb.deadline_ms = deadline_ms;
      FalsifyStats fs;
      const bool whole = (rounds++ % 2) == 1;
      const std::vector<double>& lo = whole ? problem.lower : queue.top().lo;
      const std::vector<double>& hi = whole ? problem.upper : queue.top().hi;
      auto cex = falsify_box(checker, case_index, problem, lo, hi, eval, fb, rng, elapsed_ms, fs);
      stats.attack_steps += fs.steps;
      attack_ms += aw.elapsed_ms();
      if (cex) {
        out.verdict = Verdict::Sat;
        out.counterexample = std::move(cex);
        return out;
      }
    }
    if (tty && elapsed_ms() - last_progress > 200.0) {
      last_progress = elapsed_ms();
      std::fprintf(stderr, "\r  domains left %zu  proved %.4f%%  best %.4g  %.1f s   ", queue.size(),
                   100.0 * stats.proved_volume, queue.empty() ? 0.0 : queue.top().score, elapsed_ms() / 1000.0);
      std::fflush(stderr);
    }
  }
  if (tty) std::fprintf(stderr, "\r%80s\r", "");
  // Without a sound program no claim counted: the search ends open.
  out.verdict = stats.sound_unsupported.empty() ? Verdict::Unsat : Verdict::Unknown;
  return out;
}

}  // namespace bf
