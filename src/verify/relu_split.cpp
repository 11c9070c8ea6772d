#include "verify/relu_split.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>

#include "methods/memory_budget.h"
#include "support/timer.h"
#include "verify/beta_crown.h"
#include "verify/domain_attack.h"
#include "verify/falsify.h"
#include "verify/recheck.h"

namespace bf {

namespace {

// Open subdomains attacked by PGD each attack round (the hardest of the round).
constexpr std::size_t kDomainAttacks = 4;

struct Domain {
  std::vector<ReluSplit> splits;
  std::vector<float> lo, hi;               // bounds of every ReLU input (--relu-tighten; else the root's, not stored)
  std::vector<std::int64_t> rows;          // rows of the polytopes still open
  std::vector<double> row_lower;           // per open row: the best lower bound so far
  std::vector<std::vector<float>> params;  // per open row: alpha and beta (BetaCrown::Item)
  double score = 0.0;                      // least slack over open polytopes (more negative: harder)
  std::int64_t next = -1;                  // the unstable neuron to split next (-1: none left)

  std::int64_t bytes() const {
    std::int64_t b = static_cast<std::int64_t>(sizeof(Domain) + splits.size() * sizeof(ReluSplit) +
                                               (lo.size() + hi.size()) * sizeof(float) +
                                               rows.size() * (2 * sizeof(double) + sizeof(std::vector<float>)));
    for (const auto& p : params) b += static_cast<std::int64_t>(p.size() * sizeof(float));
    return b;
  }
};

// Hardest first (best-first search); under memory pressure deepest first.
class DomainStore {
 public:
  explicit DomainStore(std::int64_t cap) : cap_(cap) {}

  bool fits(std::int64_t more) const { return bytes_ + more <= cap_; }
  void push(Domain d) {
    bytes_ += d.bytes();
    peak_bytes_ = std::max(peak_bytes_, bytes_);
    heap_.push_back(std::move(d));
    std::push_heap(heap_.begin(), heap_.end(), order());
    peak_count_ = std::max(peak_count_, static_cast<std::int64_t>(heap_.size()));
    switch_mode();
  }
  Domain pop() {
    std::pop_heap(heap_.begin(), heap_.end(), order());
    Domain d = std::move(heap_.back());
    heap_.pop_back();
    bytes_ -= d.bytes();
    switch_mode();
    return d;
  }
  const Domain& top() const { return heap_.front(); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  std::int64_t bytes() const { return bytes_; }
  std::int64_t peak_bytes() const { return peak_bytes_; }
  std::int64_t peak_count() const { return peak_count_; }
  std::int64_t cap() const { return cap_; }
  bool depth_first() const { return depth_first_; }
  bool went_depth_first() const { return went_depth_first_; }
  // The hardest open domain's slack (a scan in depth-first mode).
  double worst_score() const {
    double w = std::numeric_limits<double>::infinity();
    if (!depth_first_) return heap_.empty() ? w : heap_.front().score;
    for (const auto& d : heap_) w = std::min(w, d.score);
    return w;
  }

 private:
  std::function<bool(const Domain&, const Domain&)> order() const {
    if (depth_first_) {
      return [](const Domain& a, const Domain& b) {
        return a.splits.size() != b.splits.size() ? a.splits.size() < b.splits.size() : a.score > b.score;
      };
    }
    return [](const Domain& a, const Domain& b) { return a.score > b.score; };
  }
  void switch_mode() {
    const bool want = depth_first_ ? bytes_ > cap_ / 2 : bytes_ > cap_ / 4 * 3;
    if (want == depth_first_) return;
    depth_first_ = want;
    went_depth_first_ = went_depth_first_ || want;
    std::make_heap(heap_.begin(), heap_.end(), order());
  }

  std::vector<Domain> heap_;
  std::int64_t cap_ = 0, bytes_ = 0, peak_bytes_ = 0, peak_count_ = 0;
  bool depth_first_ = false, went_depth_first_ = false;
};

// Closes the polytopes that a row refutes; sets the score. True when none is left open.
bool settle(const CaseProblem& p, Domain& d, bool margin) {
  std::vector<std::int64_t> rows;
  std::vector<double> lower;
  std::vector<std::vector<float>> params;
  double least = std::numeric_limits<double>::infinity();
  std::size_t i = 0;
  while (i < d.rows.size()) {
    // The open rows of one polytope are consecutive.
    std::int64_t poly = 0;
    while (p.polytope_start[static_cast<std::size_t>(poly) + 1] <= d.rows[i]) ++poly;
    const std::int64_t end = p.polytope_start[static_cast<std::size_t>(poly) + 1];
    std::size_t j = i;
    bool refuted = false;
    double best = -std::numeric_limits<double>::infinity();
    for (; j < d.rows.size() && d.rows[j] < end; ++j) {
      const double b = p.rhs[static_cast<std::size_t>(d.rows[j])];
      refuted = refuted || row_refuted(d.row_lower[j], b, margin);
      if (!std::isnan(d.row_lower[j])) best = std::max(best, d.row_lower[j] - b);
    }
    if (!refuted) {
      least = std::min(least, best);
      for (std::size_t k = i; k < j; ++k) {
        rows.push_back(d.rows[k]);
        lower.push_back(d.row_lower[k]);
        params.push_back(std::move(d.params[k]));
      }
    }
    i = j;
  }
  d.rows = std::move(rows);
  d.row_lower = std::move(lower);
  d.params = std::move(params);
  d.score = least;
  return d.rows.empty();
}

Domain child(const Domain& parent, std::int64_t u, const BetaCrown& bc, std::int8_t sign) {
  Domain c = parent;
  const auto [layer, neuron] = bc.unstable()[static_cast<std::size_t>(u)];
  c.splits.push_back({layer, neuron, sign});
  for (auto& p : c.params) p[static_cast<std::size_t>(u)] = 0.0f;  // the new split's beta
  c.next = -1;
  return c;
}

}  // namespace

SplitOutcome relu_split(CounterexampleChecker& checker, std::size_t case_index, const CaseProblem& problem,
                        const ReluNetwork& net, const ReluRootBounds& root, const VerifyOptions& options,
                        PointEvaluator& eval, std::mt19937_64& rng, const std::function<double()>& elapsed_ms,
                        double deadline_ms, VerifyStats& stats, const std::function<bool(double closed)>& give_way) {
  SplitOutcome out;
  // Sound floating point: proofs rest on BetaCrown::lower_f64's sound bounds
  // and need only clear the right-hand side; --fast-unsound-fp: the margin.
  const bool margin = !options.sound_fp;
  const BetaCrown bc(net, problem.lower, problem.upper, root.lower, root.upper, options.sound_fp);
  const auto U = static_cast<std::int64_t>(bc.unstable().size());
  const std::int64_t n = net.inputs();
  const std::int64_t budget = options.max_memory > 0 ? options.max_memory : default_memory_budget();
  DomainStore store(options.domain_store_bytes > 0 ? options.domain_store_bytes : budget / 4);
  stats.store_cap_bytes = store.cap();
  // Items per call: what half the budget holds, at most --relu-batch.
  const std::int64_t max_items = std::clamp<std::int64_t>(budget / 2 / bc.bytes_per_item(), 1, options.relu_batch);
  stats.relu_batch_items = max_items;
  stats.relu_unstable = U;

  // `proofs`: the rows whose f32 bound clears their right-hand side get their
  // bound from the f64 sweep (BetaCrown::lower_f64) before anything counts on it.
  auto bound = [&](std::vector<Domain*>& ds, int iterations, bool tighten, bool extras, BetaCrown::Result& r,
                   bool proofs = true) {
    std::vector<BetaCrown::Domain> doms;
    std::vector<BetaCrown::Item> items;
    // Domains that store no bounds of their own start from the root's (a copy: splits clip it).
    std::vector<std::vector<float>> lo(ds.size()), hi(ds.size());
    for (Domain* d : ds) {
      const auto di = static_cast<std::int64_t>(doms.size());
      auto& l = lo[static_cast<std::size_t>(di)];
      auto& h = hi[static_cast<std::size_t>(di)];
      if (d->lo.empty()) {
        bc.root_bounds(l, h);
      } else {
        l = d->lo;
        h = d->hi;
      }
      doms.push_back({&d->splits, &l, &h});
      for (std::size_t k = 0; k < d->rows.size(); ++k) items.push_back({di, d->rows[k], &d->params[k]});
    }
    BetaCrown::Options o;
    o.iterations = iterations;
    o.tighten = tighten;
    o.lr_alpha = options.relu_lr_alpha;
    o.lr_beta = options.relu_lr_beta;
    o.scores = extras;
    o.points = extras;
    bc.bound(doms, items, o, r);
    if (tighten) {
      for (std::size_t i = 0; i < ds.size(); ++i) {
        ds[i]->lo = lo[i];
        ds[i]->hi = hi[i];
      }
    }
    if (proofs) {
      std::vector<BetaCrown::Item> claimed;
      std::vector<std::size_t> where;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (r.infeasible[static_cast<std::size_t>(items[i].domain)]) continue;
        if (!row_refuted(r.lower[i], problem.rhs[static_cast<std::size_t>(items[i].row)], margin)) continue;
        claimed.push_back(items[i]);
        where.push_back(i);
      }
      if (!claimed.empty()) {
        const std::vector<double> exact = bc.lower_f64(doms, claimed);
        for (std::size_t c = 0; c < where.size(); ++c) {
          if (!row_refuted(exact[c], problem.rhs[static_cast<std::size_t>(claimed[c].row)], margin))
            ++stats.f64_rejected;
          r.lower[where[c]] = exact[c];
        }
        stats.f64_rechecked += static_cast<std::int64_t>(claimed.size());
      }
    }
    std::size_t at = 0;
    for (Domain* d : ds) {
      for (std::size_t k = 0; k < d->rows.size(); ++k, ++at) {
        d->row_lower[k] = std::isnan(d->row_lower[k]) ? r.lower[at] : std::max(d->row_lower[k], r.lower[at]);
      }
    }
  };

  // The branching decision of a bounded, open domain: `scores` holds one row of
  // unstable() scores per row in `bound_rows` (the rows it was bounded with);
  // those of the rows still open (d.rows, a subsequence) are summed.
  auto choose = [&](Domain& d, const std::vector<std::int64_t>& bound_rows, const float* scores,
                    std::vector<std::int64_t>* top) {
    std::vector<char> split(static_cast<std::size_t>(U), 0);
    for (const auto& s : d.splits) split[static_cast<std::size_t>(bc.unstable_index(s.layer, s.neuron))] = 1;
    std::vector<const float*> kept;
    for (std::size_t k = 0; k < bound_rows.size(); ++k) {
      if (std::find(d.rows.begin(), d.rows.end(), bound_rows[k]) != d.rows.end())
        kept.push_back(scores + k * static_cast<std::size_t>(U));
    }
    std::vector<std::pair<float, std::int64_t>> cand;
    for (std::int64_t u = 0; u < U; ++u) {
      if (split[static_cast<std::size_t>(u)]) continue;
      float s = 0.0f;
      for (const float* row : kept) s += row[u];
      cand.emplace_back(s, u);
    }
    std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    d.next = cand.empty() ? -1 : cand.front().second;
    if (top) {
      top->clear();
      for (std::size_t i = 0; i < cand.size() && static_cast<std::int64_t>(i) < options.fsb_candidates; ++i)
        top->push_back(cand[i].second);
    }
  };

  // FSB: bound both children of each candidate cheaply (the parameters as they
  // are), keep the candidate whose worse child is best.
  auto fsb = [&](std::vector<Domain*>& ds, const std::vector<std::vector<std::int64_t>>& tops) {
    std::vector<Domain> trial;
    std::vector<std::pair<std::size_t, std::int64_t>> owner;  // (domain, candidate) per trial pair
    for (std::size_t i = 0; i < ds.size(); ++i) {
      for (std::int64_t u : tops[i]) {
        trial.push_back(child(*ds[i], u, bc, 1));
        trial.push_back(child(*ds[i], u, bc, -1));
        owner.emplace_back(i, u);
      }
    }
    if (trial.empty()) return;
    std::vector<Domain*> tp;
    for (auto& t : trial) tp.push_back(&t);
    BetaCrown::Result r;
    // In chunks of the item budget.
    std::size_t first = 0;
    while (first < tp.size()) {
      std::vector<Domain*> part;
      std::int64_t items = 0;
      while (first < tp.size() &&
             (part.empty() || items + static_cast<std::int64_t>(tp[first]->rows.size()) <= max_items)) {
        items += static_cast<std::int64_t>(tp[first]->rows.size());
        part.push_back(tp[first++]);
      }
      bound(part, 0, false, false, r, /*proofs=*/false);
    }
    std::vector<double> best(ds.size(), -std::numeric_limits<double>::infinity());
    for (std::size_t t = 0; t < owner.size(); ++t) {
      Domain& a = trial[2 * t];
      Domain& b = trial[2 * t + 1];
      const bool pa = settle(problem, a, margin), pb = settle(problem, b, margin);
      const double worst = std::min(pa ? std::numeric_limits<double>::infinity() : a.score,
                                    pb ? std::numeric_limits<double>::infinity() : b.score);
      const auto [i, u] = owner[t];
      if (worst > best[i]) {
        best[i] = worst;
        ds[i]->next = u;
      }
    }
    stats.trial_bounds += static_cast<std::int64_t>(trial.size());
  };

  // Points evaluated on the network; any that violates (or nearly) goes to the checker.
  auto check_points = [&](const std::vector<double>& pts) -> std::optional<Counterexample> {
    std::vector<double> values;
    eval.evaluate(pts, values, nullptr);
    const std::size_t count = pts.size() / static_cast<std::size_t>(n);
    stats.samples += static_cast<std::int64_t>(count);
    for (std::size_t c = 0; c < count; ++c) {
      if (!checker.worth_checking(
              violation_margin(problem, values.data() + c * static_cast<std::size_t>(problem.num_rows()))))
        continue;
      std::vector<double> x(pts.begin() + static_cast<std::ptrdiff_t>(c * n),
                            pts.begin() + static_cast<std::ptrdiff_t>((c + 1) * n));
      if (auto cex = checker.check(case_index, std::move(x))) return cex;
    }
    return std::nullopt;
  };

  // Minimisers of the hardest items' bounds: real points to test (and PGD starts).
  std::vector<double> starts;
  // The hardest open subdomains of the last round, for PGD inside them.
  struct AttackTarget {
    std::vector<ReluSplit> splits;
    std::vector<double> start;
  };
  std::vector<AttackTarget> targets;
  auto test_points = [&](const std::vector<Domain*>& ds, const BetaCrown::Result& r) -> std::optional<Counterexample> {
    std::vector<std::pair<double, std::size_t>> hard;
    std::size_t at = 0;
    for (Domain* d : ds) {
      for (std::size_t k = 0; k < d->rows.size(); ++k, ++at) {
        hard.emplace_back(r.lower[at] - problem.rhs[static_cast<std::size_t>(d->rows[k])], at);
      }
    }
    std::sort(hard.begin(), hard.end());
    const std::size_t take = std::min<std::size_t>(hard.size(), static_cast<std::size_t>(eval.batch()));
    std::vector<double> pts;
    for (std::size_t h = 0; h < take; ++h) {
      const double* x = r.points.data() + hard[h].second * static_cast<std::size_t>(n);
      pts.insert(pts.end(), x, x + n);
    }
    if (pts.empty()) return std::nullopt;
    starts = pts;
    return check_points(pts);
  };

  // The root: every row, parameters from CROWN's choice, optimised longer.
  {
    Domain d;
    for (std::int64_t r = 0; r < problem.num_rows(); ++r) {
      d.rows.push_back(r);
      d.row_lower.push_back(std::numeric_limits<double>::quiet_NaN());
      d.params.emplace_back(static_cast<std::size_t>(U), std::numeric_limits<float>::quiet_NaN());
    }
    std::vector<Domain*> ds{&d};
    BetaCrown::Result r;
    bound(ds, 3 * options.relu_iterations, false, true, r);
    ++stats.domains_bounded;
    if (auto cex = test_points(ds, r)) {
      out.verdict = Verdict::Sat;
      out.counterexample = std::move(cex);
      return out;
    }
    if (settle(problem, d, margin)) {
      ++stats.domains_proved;
      stats.split_closed = 1.0;
      out.verdict = Verdict::Unsat;
      return out;
    }
    // The scores again, at the parameters the children inherit (those of each
    // row's best bound; the bound above ended at Adam's last step).
    std::vector<std::int64_t> top;
    BetaCrown::Result rr;
    bound(ds, 0, false, true, rr);
    choose(d, d.rows, rr.scores.data(), &top);
    if (options.relu_branching == ReluBranching::Fsb) fsb(ds, {top});
    store.push(std::move(d));
  }

  const bool tty = options.progress && isatty(2) != 0;
  double last_progress = 0.0, attack_ms = 0.0;
  const double start_ms = elapsed_ms();
  bool exhausted = false;  // a domain with every unstable neuron split and still open
  double closed = 0.0;     // the share of the search space proved (2^-splits per domain)
  auto note = [&] {
    stats.split_closed = closed;
    stats.store_peak_bytes = store.peak_bytes();
    stats.store_peak_domains = store.peak_count();
    stats.store_went_depth_first = store.went_depth_first();
    stats.open_slack = store.empty() ? 0.0 : store.worst_score();
    stats.open_domains = static_cast<std::int64_t>(store.size());
  };
  double round_ms = 0.0;  // the last round's time: a round that would end past the deadline is not started
  while (!store.empty()) {
    if (elapsed_ms() + round_ms > deadline_ms) {
      note();
      out.verdict = Verdict::Timeout;
      return out;
    }
    if (give_way && give_way(closed)) {
      note();
      out.verdict = Verdict::Timeout;
      return out;
    }
    Stopwatch round_watch;
    // Parents whose children fit one call.
    std::vector<Domain> parents;
    std::int64_t items = 0;
    while (!store.empty() &&
           (parents.empty() || items + 2 * static_cast<std::int64_t>(store.top().rows.size()) <= max_items)) {
      items += 2 * static_cast<std::int64_t>(store.top().rows.size());
      parents.push_back(store.pop());
    }
    std::vector<Domain> children;
    for (const Domain& p : parents) {
      if (p.next < 0) {
        exhausted = true;
        continue;
      }
      children.push_back(child(p, p.next, bc, 1));
      children.push_back(child(p, p.next, bc, -1));
    }
    std::vector<Domain*> cs;
    for (auto& c : children) cs.push_back(&c);
    BetaCrown::Result r;
    bound(cs, options.relu_iterations, options.relu_tighten, true, r);
    stats.domains_bounded += static_cast<std::int64_t>(children.size());
    if (auto cex = test_points(cs, r)) {
      note();
      out.verdict = Verdict::Sat;
      out.counterexample = std::move(cex);
      return out;
    }
    // Branching decisions for the children left open (scores of the rows they keep).
    std::vector<Domain*> open;
    std::vector<std::vector<std::int64_t>> tops;
    targets.clear();
    std::vector<std::tuple<double, std::size_t, std::size_t>> hardest;  // (score, index in open, weakest item)
    std::size_t first = 0;
    for (std::size_t ci = 0; ci < cs.size(); ++ci) {
      Domain* c = cs[ci];
      const std::vector<std::int64_t> rows_before = c->rows;
      const std::size_t at = first;
      first += rows_before.size();
      if (r.infeasible[ci]) {
        // Its splits cannot all hold (--relu-tighten): no point to violate anything.
        ++stats.domains_proved;
        ++stats.infeasible_pruned;
        closed += std::ldexp(1.0, -static_cast<int>(c->splits.size()));
        continue;
      }
      if (settle(problem, *c, margin)) {
        ++stats.domains_proved;
        closed += std::ldexp(1.0, -static_cast<int>(c->splits.size()));
        continue;
      }
      tops.emplace_back();
      choose(*c, rows_before, r.scores.data() + at * static_cast<std::size_t>(U), &tops.back());
      open.push_back(c);
      // Its weakest item's minimiser would start a PGD inside it.
      std::size_t weakest = at;
      for (std::size_t k = at; k < at + rows_before.size(); ++k) {
        if (r.lower[k] - problem.rhs[static_cast<std::size_t>(rows_before[k - at])] <
            r.lower[weakest] - problem.rhs[static_cast<std::size_t>(rows_before[weakest - at])])
          weakest = k;
      }
      hardest.push_back({c->score, open.size() - 1, weakest});
    }
    // The hardest few open children (copied before they move into the store).
    const std::size_t keep = std::min(kDomainAttacks, hardest.size());
    std::partial_sort(hardest.begin(), hardest.begin() + static_cast<std::ptrdiff_t>(keep), hardest.end());
    for (std::size_t h = 0; h < keep; ++h) {
      const auto [score, which, item] = hardest[h];
      const double* x = r.points.data() + item * static_cast<std::size_t>(n);
      targets.push_back({open[which]->splits, std::vector<double>(x, x + n)});
    }
    if (options.relu_branching == ReluBranching::Fsb) fsb(open, tops);
    for (Domain* c : open) {
      if (!store.fits(c->bytes())) {
        note();
        out.verdict = Verdict::Unknown;  // the domain store would outgrow its cap
        return out;
      }
      store.push(std::move(*c));
    }
    // PGD from the hardest minimisers, a fifth of the time.
    if (!store.empty() && attack_ms < 0.25 * (elapsed_ms() - start_ms - attack_ms)) {
      Stopwatch aw;
      FalsifyBudget fb;
      fb.samples = 0;
      fb.restarts = 4;
      fb.steps = 30;
      fb.deadline_ms = deadline_ms;
      fb.starts = starts;
      FalsifyStats fs;
      auto cex = falsify_box(checker, case_index, problem, problem.lower, problem.upper, eval, fb, rng, elapsed_ms, fs);
      stats.attack_steps += fs.steps;
      if (!cex && !targets.empty()) {
        // PGD inside the hardest subdomains, their splits as a penalty (verify/domain_attack.h).
        std::vector<double> pts;
        for (const AttackTarget& t : targets) {
          const DomainAttackResult a = attack_domain(net, problem, t.splits, t.start, DomainAttackOptions{});
          pts.insert(pts.end(), a.x.begin(), a.x.end());
          stats.attack_steps += DomainAttackOptions{}.steps;
          ++stats.domain_attacks;
          stats.domain_attacks_inside += a.splits_missed == 0;
        }
        cex = check_points(pts);
      }
      attack_ms += aw.elapsed_ms();
      if (cex) {
        note();
        out.verdict = Verdict::Sat;
        out.counterexample = std::move(cex);
        return out;
      }
    }
    round_ms = round_watch.elapsed_ms();
    if (tty && elapsed_ms() - last_progress > 200.0) {
      last_progress = elapsed_ms();
      std::fprintf(stderr, "\r  relu split: domains left %zu (%s%s)  bounded %lld  worst %.4g  %.1f s   ", store.size(),
                   format_bytes(store.bytes()).c_str(), store.depth_first() ? ", depth-first" : "",
                   static_cast<long long>(stats.domains_bounded), store.worst_score(), elapsed_ms() / 1000.0);
      std::fflush(stderr);
    }
  }
  if (tty) std::fprintf(stderr, "\r%100s\r", "");
  note();
  out.verdict = exhausted ? Verdict::Unknown : Verdict::Unsat;
  return out;
}

}  // namespace bf
