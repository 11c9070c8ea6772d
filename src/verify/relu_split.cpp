#include "verify/relu_split.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <tuple>

#include "methods/branch_bounds.h"
#include "methods/memory_budget.h"
#include "support/timer.h"
#include "verify/attack_budget.h"
#include "verify/domain_attack.h"
#include "verify/falsify.h"
#include "verify/recheck.h"
#include "verify/relu_domain_store.h"

namespace bf {

namespace {

// Open subdomains attacked by PGD each attack round (the hardest of the round).
constexpr std::size_t kDomainAttacks = 4;
// The search's calls are filled by items (domain, open row) up to relu_batch,
// and its program holds this many times relu_batch / rows domains: domains
// keep fewer open rows as rows are proved (mnist 256x4 prop_0_0.05: 4.4 of 9
// on average, so calls were half full). 2 measured faster than 4 there (133.8k
// against 127.0k domains in 60 s) and holds less memory.
constexpr std::int64_t kDomainHeadroom = 2;

// The bounds of one call: lower bound per item, and per domain whether its splits cannot all hold.
using Bounds = BranchBoundResult;

class ReluSplitSearch {
 public:
  ReluSplitSearch(CounterexampleChecker& checker, std::size_t case_index, const CaseProblem& problem,
                  const ReluSplitSetup& setup, const VerifyOptions& options, PointEvaluator& eval, std::mt19937_64& rng,
                  const std::function<double()>& elapsed_ms, double deadline_ms, VerifyStats& stats)
      : checker_(checker),
        case_index_(case_index),
        problem_(problem),
        setup_(setup),
        options_(options),
        eval_(eval),
        rng_(rng),
        elapsed_ms_(elapsed_ms),
        deadline_ms_(deadline_ms),
        stats_(stats),
        margin_(!options.sound_fp),
        budget_(options.max_memory > 0 ? options.max_memory : default_memory_budget()),
        store_(options.domain_store_bytes > 0 ? options.domain_store_bytes : budget_ / 4) {
    Stopwatch watch;
    const std::int64_t rows = std::max<std::int64_t>(1, problem.num_rows());
    // A call holds at most relu_batch items (domain, open row), in a program of kDomainHeadroom x that many full
    // domains.
    search_ = std::make_unique<BranchBounds>(request(DType::F32), *setup.root,
                                             std::max<std::int64_t>(2, kDomainHeadroom * options.relu_batch / rows));
    if (setup.sound_root != nullptr) {
      // Proofs come in smaller numbers than the search's domains.
      const std::int64_t full = std::max<std::int64_t>(1, options.relu_batch / rows);
      certify32_ = std::make_unique<BranchBounds>(request(DType::F32, /*sound=*/true), *setup.sound_root,
                                                  std::max<std::int64_t>(1, full / 2),
                                                  /*optimise=*/false);
      certify_ = std::make_unique<BranchBounds>(request(DType::F64, /*sound=*/true), *setup.sound_root,
                                                std::max<std::int64_t>(1, full / 4),
                                                /*optimise=*/false);
    }
    U_ = static_cast<std::int64_t>(search_->unstable().size());
    n_ = search_->inputs();
    stats_.store_cap_bytes = store_.cap();
    stats_.relu_batch_items = std::min(search_->domains_per_call() * rows, options.relu_batch);
    stats_.relu_unstable = U_;
    stats_.relu_setup_ms += watch.elapsed_ms();
    if (setup.dense != nullptr) {
      for (std::size_t k = 0; k < setup.dense->relu_input_names.size(); ++k)
        dense_layer_[setup.dense->relu_input_names[k]] = static_cast<std::int32_t>(k);
    }
  }

  SplitOutcome run(const std::function<bool(double)>& give_way);

 private:
  BoundRequest request(DType dtype, bool sound = false) const {
    BoundRequest r;
    r.graph = setup_.graph;
    r.spec = problem_.spec(dtype);
    r.region = input_box(problem_.lower, problem_.upper, setup_.graph->type(setup_.graph->inputs()[0]).shape, dtype,
                         /*outward=*/dtype == DType::F32);
    r.max_memory = budget_ / 2;
    r.sound_fp = sound;
    return r;
  }

  static std::vector<BranchDomain> views(std::vector<ReluDomain*>& ds, std::size_t first, std::size_t count) {
    std::vector<BranchDomain> out;
    for (std::size_t i = first; i < first + count; ++i) {
      ReluDomain* d = ds[i];
      BranchDomain b;
      b.splits = &d->splits;
      if (!d->lo.empty()) {
        b.lo = &d->lo;
        b.hi = &d->hi;
      }
      b.rows = &d->rows;
      for (auto& p : d->params) b.params.push_back(&p);
      out.push_back(std::move(b));
    }
    return out;
  }

  // Bounds `ds` in calls of at most a batch of domains and relu_batch items
  // each (one domain at least); results joined in order.
  Bounds bound_all(BranchBounds& bb, std::vector<ReluDomain*>& ds, const BranchBoundOptions& o) {
    Bounds all;
    const auto per_call = static_cast<std::size_t>(bb.domains_per_call());
    for (std::size_t first = 0, count = 0; first < ds.size(); first += count) {
      std::int64_t items = 0;
      for (count = 0; first + count < ds.size() && count < per_call; ++count) {
        const auto more = static_cast<std::int64_t>(ds[first + count]->rows.size());
        if (count > 0 && items + more > options_.relu_batch) break;
        items += more;
      }
      Bounds r = bb.bound(views(ds, first, count), o);
      all.lower.insert(all.lower.end(), r.lower.begin(), r.lower.end());
      all.infeasible.insert(all.infeasible.end(), r.infeasible.begin(), r.infeasible.end());
      all.scores.insert(all.scores.end(), r.scores.begin(), r.scores.end());
      all.points.insert(all.points.end(), r.points.begin(), r.points.end());
      for (auto& v : r.lo) all.lo.push_back(std::move(v));
      for (auto& v : r.hi) all.hi.push_back(std::move(v));
    }
    return all;
  }

  // The search's bounds of `ds`; with `proofs`, every row whose f32 bound
  // clears its right-hand side (and every domain it finds infeasible) bounded
  // again by the sound program before anything counts on it.
  Bounds bound(std::vector<ReluDomain*>& ds, int iterations, bool tighten, bool extras, bool proofs = true) {
    BranchBoundOptions o;
    o.iterations = iterations;
    o.tighten = tighten;
    o.lr_alpha = options_.relu_lr_alpha;
    o.lr_beta = options_.relu_lr_beta;
    o.scores = extras;
    o.points = extras;
    Stopwatch watch;
    Bounds r = bound_all(*search_, ds, o);
    stats_.relu_bound_ms += watch.elapsed_ms();
    if (tighten) {
      for (std::size_t i = 0; i < ds.size(); ++i) {
        ds[i]->lo = std::move(r.lo[i]);
        ds[i]->hi = std::move(r.hi[i]);
      }
    }
    if (proofs) {
      Stopwatch proof_watch;
      certify(ds, r, tighten);
      stats_.relu_proof_ms += proof_watch.elapsed_ms();
    }
    std::size_t at = 0;
    for (ReluDomain* d : ds) {
      for (std::size_t k = 0; k < d->rows.size(); ++k, ++at) {
        d->row_lower[k] = std::isnan(d->row_lower[k]) ? r.lower[at] : std::max(d->row_lower[k], r.lower[at]);
      }
    }
    return r;
  }

  // The claims of `r` (rows refuted, domains infeasible) through the sound
  // program, from the sound root bounds (the search's own are not sound);
  // what it does not confirm is replaced by what it found.
  void certify(std::vector<ReluDomain*>& ds, Bounds& r, bool tighten) {
    if (!certify_) return;                              // --fast-unsound-fp: the f32 bounds and the margin
    std::vector<ReluDomain> claims;                     // copies holding the claimed rows only
    std::vector<std::size_t> owner;                     // per claim: its domain in ds
    std::vector<std::pair<std::size_t, double>> items;  // per claimed row: its item in r, its right-hand side
    std::size_t at = 0;
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const ReluDomain& d = *ds[i];
      const bool infeasible = i < r.infeasible.size() && r.infeasible[i];
      ReluDomain c;
      for (std::size_t k = 0; k < d.rows.size(); ++k, ++at) {
        const double rhs = problem_.rhs[static_cast<std::size_t>(d.rows[k])];
        if (!infeasible && !row_refuted(r.lower[at], rhs, margin_)) continue;
        c.rows.push_back(d.rows[k]);
        c.params.push_back(d.params[k]);
        items.emplace_back(at, rhs);
      }
      if (c.rows.empty()) continue;
      c.splits = d.splits;
      claims.push_back(std::move(c));
      owner.push_back(i);
    }
    if (claims.empty()) return;
    std::vector<ReluDomain*> cp;
    for (auto& c : claims) cp.push_back(&c);
    const Bounds sound = sound_bounds(claims, tighten);
    std::size_t e = 0;
    for (std::size_t c = 0; c < claims.size(); ++c) {
      // Bounds that cross in the sound program: the splits cannot all hold.
      const bool infeasible = tighten && sound.infeasible.at(c);
      if (owner[c] < r.infeasible.size()) r.infeasible[owner[c]] = infeasible ? 1 : 0;
      for (std::size_t k = 0; k < claims[c].rows.size(); ++k, ++e) {
        const double v = infeasible ? std::numeric_limits<double>::infinity() : sound.lower.at(e);
        if (!row_refuted(v, items[e].second, margin_)) ++stats_.f64_rejected;
        r.lower[items[e].first] = v;
        ++stats_.f64_rechecked;
      }
    }
  }

  // Sound bounds of the claims' rows (and whether each claim's splits cannot
  // all hold, with `tighten`): the f32 sound program first, many times
  // cheaper; the f64 one for the rows it leaves unproved (f32's rounding
  // account is coarse where large terms cancel, BatchNorm and convolutions).
  //
  // Where f32 proves little (oval21 cifar_wide_kw: 172 of 5875 claims) its
  // stage costs a third of the proofs' time for nothing: it runs while it
  // proves at least a fifth of the rows it is given, and on every eighth batch
  // of claims to see whether that has changed (counts, not times: the search
  // stays deterministic).
  Bounds sound_bounds(std::vector<ReluDomain>& claims, bool tighten) {
    BranchBoundOptions o;
    o.tighten = tighten;
    std::vector<ReluDomain*> cp;
    for (auto& c : claims) cp.push_back(&c);
    const bool try_f32 = proof_batches_++ % 8 == 0 || 5 * f32_proved_ >= f32_rows_;
    if (!try_f32) return bound_all(*certify_, cp, o);
    Bounds out = bound_all(*certify32_, cp, o);
    for (const auto& c : claims) f32_rows_ += static_cast<std::int64_t>(c.rows.size());
    std::vector<ReluDomain> again;
    std::vector<std::size_t> again_of;               // per claim bounded again: its claim
    std::vector<std::vector<std::size_t>> again_at;  // ... and its rows' items in `out`
    std::size_t e = 0;
    for (std::size_t c = 0; c < claims.size(); ++c) {
      const bool infeasible = tighten && out.infeasible.at(c);
      ReluDomain d;
      std::vector<std::size_t> at;
      for (std::size_t k = 0; k < claims[c].rows.size(); ++k, ++e) {
        const double rhs = problem_.rhs[static_cast<std::size_t>(claims[c].rows[k])];
        if (infeasible || row_refuted(out.lower[e], rhs, margin_)) {
          ++stats_.relu_proved_f32;
          ++f32_proved_;
          continue;
        }
        d.rows.push_back(claims[c].rows[k]);
        d.params.push_back(claims[c].params[k]);
        at.push_back(e);
      }
      if (d.rows.empty()) continue;
      d.splits = claims[c].splits;
      again.push_back(std::move(d));
      again_of.push_back(c);
      again_at.push_back(std::move(at));
    }
    if (again.empty()) return out;
    std::vector<ReluDomain*> ap;
    for (auto& d : again) ap.push_back(&d);
    const Bounds f64 = bound_all(*certify_, ap, o);
    std::size_t f = 0;
    for (std::size_t a = 0; a < again.size(); ++a) {
      const bool infeasible = tighten && f64.infeasible.at(a);
      if (infeasible) out.infeasible[again_of[a]] = 1;
      for (std::size_t item : again_at[a]) {
        out.lower[item] = infeasible ? std::numeric_limits<double>::infinity() : f64.lower.at(f);
        ++f;
      }
    }
    return out;
  }

  ReluDomain child(const ReluDomain& parent, std::int64_t u, std::int8_t sign) const {
    ReluDomain c = parent;
    c.splits.push_back({static_cast<std::int32_t>(u), sign});
    for (auto& p : c.params) p[static_cast<std::size_t>(U_ + u)] = 0.0f;  // the new split's beta
    c.next = -1;
    return c;
  }

  // The branching decision of a bounded, open domain: `scores` holds one row of
  // unstable() scores per row in `bound_rows` (the rows it was bounded with);
  // those of the rows still open (d.rows, a subsequence) are summed.
  void choose(ReluDomain& d, const std::vector<std::int64_t>& bound_rows, const float* scores,
              std::vector<std::int64_t>* top) const {
    std::vector<char> split(static_cast<std::size_t>(U_), 0);
    for (const auto& s : d.splits) split[static_cast<std::size_t>(s.neuron)] = 1;
    std::vector<const float*> kept;
    for (std::size_t k = 0; k < bound_rows.size(); ++k) {
      if (std::find(d.rows.begin(), d.rows.end(), bound_rows[k]) != d.rows.end())
        kept.push_back(scores + k * static_cast<std::size_t>(U_));
    }
    std::vector<std::pair<float, std::int64_t>> cand;
    for (std::int64_t u = 0; u < U_; ++u) {
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
      for (std::size_t i = 0; i < cand.size() && static_cast<std::int64_t>(i) < options_.fsb_candidates; ++i)
        top->push_back(cand[i].second);
    }
  }

  // FSB: bound both children of each candidate cheaply (the parameters as they
  // are), keep the candidate whose worse child is best.
  void fsb(std::vector<ReluDomain*>& ds, const std::vector<std::vector<std::int64_t>>& tops) {
    std::vector<ReluDomain> trial;
    std::vector<std::pair<std::size_t, std::int64_t>> owner;  // (domain, candidate) per trial pair
    for (std::size_t i = 0; i < ds.size(); ++i) {
      for (std::int64_t u : tops[i]) {
        trial.push_back(child(*ds[i], u, 1));
        trial.push_back(child(*ds[i], u, -1));
        owner.emplace_back(i, u);
      }
    }
    if (trial.empty()) return;
    std::vector<ReluDomain*> tp;
    for (auto& t : trial) tp.push_back(&t);
    bound(tp, 0, false, false, /*proofs=*/false);
    std::vector<double> best(ds.size(), -std::numeric_limits<double>::infinity());
    for (std::size_t t = 0; t < owner.size(); ++t) {
      ReluDomain& a = trial[2 * t];
      ReluDomain& b = trial[2 * t + 1];
      const bool pa = settle(problem_, a, margin_), pb = settle(problem_, b, margin_);
      const double worst = std::min(pa ? std::numeric_limits<double>::infinity() : a.score,
                                    pb ? std::numeric_limits<double>::infinity() : b.score);
      const auto [i, u] = owner[t];
      if (worst > best[i]) {
        best[i] = worst;
        ds[i]->next = u;
      }
    }
    stats_.trial_bounds += static_cast<std::int64_t>(trial.size());
  }

  // Points evaluated on the network; any that violates (or nearly) goes to the checker.
  std::optional<Counterexample> check_points(const std::vector<double>& pts) {
    std::vector<double> values;
    eval_.evaluate(pts, values, nullptr);
    const std::size_t count = pts.size() / static_cast<std::size_t>(n_);
    stats_.samples += static_cast<std::int64_t>(count);
    for (std::size_t c = 0; c < count; ++c) {
      const double margin =
          violation_margin(problem_, values.data() + c * static_cast<std::size_t>(problem_.num_rows()));
      if (!std::isnan(margin)) seen_margin_ = std::min(seen_margin_, margin);
      if (!checker_.worth_checking(margin)) continue;
      std::vector<double> x(pts.begin() + static_cast<std::ptrdiff_t>(c * n_),
                            pts.begin() + static_cast<std::ptrdiff_t>((c + 1) * n_));
      if (auto cex = checker_.check(case_index_, std::move(x))) return cex;
    }
    return std::nullopt;
  }

  // Minimisers of the hardest items' bounds: real points to test (and PGD starts).
  std::optional<Counterexample> test_points(const std::vector<ReluDomain*>& ds, const Bounds& r) {
    std::vector<std::pair<double, std::size_t>> hard;
    std::size_t at = 0;
    for (ReluDomain* d : ds) {
      for (std::size_t k = 0; k < d->rows.size(); ++k, ++at) {
        hard.emplace_back(r.lower[at] - problem_.rhs[static_cast<std::size_t>(d->rows[k])], at);
      }
    }
    std::sort(hard.begin(), hard.end());
    const std::size_t take = std::min<std::size_t>(hard.size(), static_cast<std::size_t>(eval_.batch()));
    std::vector<double> pts;
    for (std::size_t h = 0; h < take; ++h) {
      const double* x = r.points.data() + hard[h].second * static_cast<std::size_t>(n_);
      pts.insert(pts.end(), x, x + n_);
    }
    if (pts.empty()) return std::nullopt;
    starts_ = pts;
    Stopwatch watch;
    auto found = check_points(pts);
    attack_ms_ += watch.elapsed_ms();
    stats_.relu_attack_ms += watch.elapsed_ms();
    return found;
  }

  // The splits of a domain in the dense form's (layer, neuron) terms.
  std::vector<ReluSplit> dense_splits(const std::vector<BranchSplit>& splits) const {
    std::vector<ReluSplit> out;
    for (const BranchSplit& s : splits) {
      const BranchNeuron& nu = search_->unstable()[static_cast<std::size_t>(s.neuron)];
      auto it = dense_layer_.find(setup_.graph->value(nu.value).name);
      if (it == dense_layer_.end()) continue;
      out.push_back({it->second, static_cast<std::int32_t>(nu.element), s.sign});
    }
    return out;
  }

  // PGD from the hardest minimisers, and inside the hardest domains.
  std::optional<Counterexample> attack() {
    FalsifyBudget fb;
    fb.samples = 0;
    fb.restarts = 4;
    fb.steps = 30;
    fb.deadline_ms = deadline_ms_;
    fb.starts = starts_;
    FalsifyStats fs;
    auto cex =
        falsify_box(checker_, case_index_, problem_, problem_.lower, problem_.upper, eval_, fb, rng_, elapsed_ms_, fs);
    stats_.attack_steps += fs.steps;
    if (cex || targets_.empty() || setup_.dense == nullptr) return cex;
    // PGD inside the hardest subdomains, their splits as a penalty (verify/domain_attack.h).
    std::vector<double> pts;
    for (const AttackTarget& t : targets_) {
      const DomainAttackResult a =
          attack_domain(*setup_.dense, problem_, dense_splits(t.splits), t.start, DomainAttackOptions{});
      pts.insert(pts.end(), a.x.begin(), a.x.end());
      stats_.attack_steps += DomainAttackOptions{}.steps;
      ++stats_.domain_attacks;
      stats_.domain_attacks_inside += a.splits_missed == 0;
    }
    return check_points(pts);
  }

  void note() {
    stats_.split_closed = closed_;
    stats_.store_peak_bytes = store_.peak_bytes();
    stats_.store_peak_domains = store_.peak_count();
    stats_.store_went_depth_first = store_.went_depth_first();
    stats_.open_slack = store_.empty() ? 0.0 : store_.worst_score();
    stats_.open_domains = static_cast<std::int64_t>(store_.size());
  }

  SplitOutcome ends(Verdict v, std::optional<Counterexample> cex = std::nullopt) {
    note();
    SplitOutcome out;
    out.verdict = v;
    out.counterexample = std::move(cex);
    return out;
  }

  std::optional<SplitOutcome> root();
  std::optional<SplitOutcome> round();

  struct AttackTarget {
    std::vector<BranchSplit> splits;
    std::vector<double> start;
  };

  CounterexampleChecker& checker_;
  std::size_t case_index_;
  const CaseProblem& problem_;
  const ReluSplitSetup& setup_;
  const VerifyOptions& options_;
  PointEvaluator& eval_;
  std::mt19937_64& rng_;
  const std::function<double()>& elapsed_ms_;
  double deadline_ms_;
  VerifyStats& stats_;
  // Sound floating point: proofs rest on the sound program's bounds and need
  // only clear the right-hand side; --fast-unsound-fp: the margin.
  bool margin_;
  std::int64_t budget_;
  ReluDomainStore store_;
  // sound_bounds: batches of claims, rows given to f32, rows it proved.
  std::int64_t proof_batches_ = 0, f32_rows_ = 0, f32_proved_ = 0;
  std::unique_ptr<BranchBounds> search_, certify32_, certify_;  // the search's program, the sound ones (f32, f64)
  std::int64_t U_ = 0, n_ = 0;
  std::map<std::string, std::int32_t> dense_layer_;
  std::vector<double> starts_;
  std::vector<AttackTarget> targets_;
  bool exhausted_ = false;  // a domain with every unstable neuron split and still open
  double closed_ = 0.0;     // the share of the search space proved (2^-splits per domain)
  double attack_ms_ = 0.0, start_ms_ = 0.0;
  double seen_margin_ = std::numeric_limits<double>::infinity();  // least violation margin of any point evaluated
};

// The root: every row, parameters from CROWN's choice, optimised longer.
std::optional<SplitOutcome> ReluSplitSearch::root() {
  ReluDomain d;
  for (std::int64_t r = 0; r < problem_.num_rows(); ++r) {
    d.rows.push_back(r);
    d.row_lower.push_back(std::numeric_limits<double>::quiet_NaN());
    std::vector<float> p(static_cast<std::size_t>(2 * U_), 0.0f);
    std::fill(p.begin(), p.begin() + U_, std::numeric_limits<float>::quiet_NaN());
    d.params.push_back(std::move(p));
  }
  std::vector<ReluDomain*> ds{&d};
  const Bounds r = bound(ds, 3 * options_.relu_iterations, false, true);
  ++stats_.domains_bounded;
  if (auto cex = test_points(ds, r)) return ends(Verdict::Sat, std::move(cex));
  if (settle(problem_, d, margin_)) {
    ++stats_.domains_proved;
    closed_ = 1.0;
    return ends(Verdict::Unsat);
  }
  // The scores again, at the parameters the children inherit (those of each
  // row's best bound; the bound above ended at Adam's last step).
  std::vector<std::int64_t> top;
  const Bounds rr = bound(ds, 0, false, true);
  choose(d, d.rows, rr.scores.data(), &top);
  if (options_.relu_branching == ReluBranching::Fsb) fsb(ds, {top});
  store_.push(std::move(d));
  return std::nullopt;
}

// One round: the hardest parents split, their children bounded, tested and stored.
std::optional<SplitOutcome> ReluSplitSearch::round() {
  // Parents whose children fill one call: domains and items (each child keeps its parent's rows).
  std::vector<ReluDomain> parents;
  const std::int64_t per_call = search_->domains_per_call();
  std::int64_t items = 0;
  while (!store_.empty() && (parents.empty() || (2 * static_cast<std::int64_t>(parents.size() + 1) <= per_call &&
                                                 items + 2 * static_cast<std::int64_t>(store_.top().rows.size()) <=
                                                     options_.relu_batch))) {
    parents.push_back(store_.pop());
    items += 2 * static_cast<std::int64_t>(parents.back().rows.size());
  }
  std::vector<ReluDomain> children;
  for (const ReluDomain& p : parents) {
    if (p.next < 0) {
      exhausted_ = true;
      continue;
    }
    children.push_back(child(p, p.next, 1));
    children.push_back(child(p, p.next, -1));
  }
  std::vector<ReluDomain*> cs;
  for (auto& c : children) cs.push_back(&c);
  const Bounds r = bound(cs, options_.relu_iterations, options_.relu_tighten, true);
  stats_.domains_bounded += static_cast<std::int64_t>(children.size());
  // The children's minimisers are tested while the attacks are within their share (verify/attack_budget.h).
  const double share = attack_share(store_.empty() ? 0.0 : -store_.worst_score(), seen_margin_);
  stats_.relu_attack_share = share;
  if (attack_ms_ <= share * (elapsed_ms_() - start_ms_)) {
    if (auto cex = test_points(cs, r)) return ends(Verdict::Sat, std::move(cex));
  }
  // Branching decisions for the children left open (scores of the rows they keep).
  std::vector<ReluDomain*> open;
  std::vector<std::vector<std::int64_t>> tops;
  targets_.clear();
  std::vector<std::tuple<double, std::size_t, std::size_t>> hardest;  // (score, index in open, weakest item)
  std::size_t first = 0;
  for (std::size_t ci = 0; ci < cs.size(); ++ci) {
    ReluDomain* c = cs[ci];
    const std::vector<std::int64_t> rows_before = c->rows;
    const std::size_t at = first;
    first += rows_before.size();
    if (ci < r.infeasible.size() && r.infeasible[ci]) {
      // Its splits cannot all hold (--relu-tighten): no point to violate anything.
      ++stats_.domains_proved;
      ++stats_.infeasible_pruned;
      closed_ += std::ldexp(1.0, -static_cast<int>(c->splits.size()));
      continue;
    }
    if (settle(problem_, *c, margin_)) {
      ++stats_.domains_proved;
      closed_ += std::ldexp(1.0, -static_cast<int>(c->splits.size()));
      continue;
    }
    tops.emplace_back();
    choose(*c, rows_before, r.scores.data() + at * static_cast<std::size_t>(U_), &tops.back());
    open.push_back(c);
    // Its weakest item's minimiser would start a PGD inside it.
    std::size_t weakest = at;
    for (std::size_t k = at; k < at + rows_before.size(); ++k) {
      if (r.lower[k] - problem_.rhs[static_cast<std::size_t>(rows_before[k - at])] <
          r.lower[weakest] - problem_.rhs[static_cast<std::size_t>(rows_before[weakest - at])])
        weakest = k;
    }
    hardest.push_back({c->score, open.size() - 1, weakest});
  }
  // The hardest few open children (copied before they move into the store).
  const std::size_t keep = std::min(kDomainAttacks, hardest.size());
  std::partial_sort(hardest.begin(), hardest.begin() + static_cast<std::ptrdiff_t>(keep), hardest.end());
  for (std::size_t h = 0; h < keep; ++h) {
    const auto [score, which, item] = hardest[h];
    const double* x = r.points.data() + item * static_cast<std::size_t>(n_);
    targets_.push_back({open[which]->splits, std::vector<double>(x, x + n_)});
  }
  if (options_.relu_branching == ReluBranching::Fsb) fsb(open, tops);
  for (ReluDomain* c : open) {
    if (!store_.fits(c->bytes())) return ends(Verdict::Unknown);  // the store would outgrow its cap
    store_.push(std::move(*c));
  }
  // PGD, within the same share.
  if (!store_.empty() && attack_ms_ < share * (elapsed_ms_() - start_ms_)) {
    Stopwatch aw;
    auto cex = attack();
    attack_ms_ += aw.elapsed_ms();
    stats_.relu_attack_ms += aw.elapsed_ms();
    if (cex) return ends(Verdict::Sat, std::move(cex));
  }
  return std::nullopt;
}

SplitOutcome ReluSplitSearch::run(const std::function<bool(double)>& give_way) {
  if (auto out = root()) return std::move(*out);
  const bool tty = options_.progress && isatty(2) != 0;
  double last_progress = 0.0;
  start_ms_ = elapsed_ms_();
  double round_ms = 0.0;  // the last round's time: a round that would end past the deadline is not started
  while (!store_.empty()) {
    if (elapsed_ms_() + round_ms > deadline_ms_) return ends(Verdict::Timeout);
    if (give_way && give_way(closed_)) return ends(Verdict::Timeout);
    Stopwatch round_watch;
    if (auto out = round()) return std::move(*out);
    round_ms = round_watch.elapsed_ms();
    if (tty && elapsed_ms_() - last_progress > 200.0) {
      last_progress = elapsed_ms_();
      std::fprintf(stderr, "\r  relu split: domains left %zu (%s%s)  bounded %lld  worst %.4g  %.1f s   ",
                   store_.size(), format_bytes(store_.bytes()).c_str(), store_.depth_first() ? ", depth-first" : "",
                   static_cast<long long>(stats_.domains_bounded), store_.worst_score(), elapsed_ms_() / 1000.0);
      std::fflush(stderr);
    }
  }
  if (tty) std::fprintf(stderr, "\r%100s\r", "");
  return ends(exhausted_ ? Verdict::Unknown : Verdict::Unsat);
}

}  // namespace

SplitOutcome relu_split(CounterexampleChecker& checker, std::size_t case_index, const CaseProblem& problem,
                        const ReluSplitSetup& setup, const VerifyOptions& options, PointEvaluator& eval,
                        std::mt19937_64& rng, const std::function<double()>& elapsed_ms, double deadline_ms,
                        VerifyStats& stats, const std::function<bool(double closed)>& give_way) {
  ReluSplitSearch search(checker, case_index, problem, setup, options, eval, rng, elapsed_ms, deadline_ms, stats);
  return search.run(give_way);
}

}  // namespace bf
