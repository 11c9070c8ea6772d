// ReLU split's open subdomains (verify/relu_split.h): a domain (its splits,
// open rows, their best bounds and alpha/beta parameters) and the store that
// holds them, best first and capped in bytes; settle() closes the rows a
// domain's bounds refute.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "methods/branch_bounds.h"
#include "verify/case_problem.h"

namespace bf {

struct ReluDomain {
  std::vector<BranchSplit> splits;
  std::vector<float> lo, hi;       // bounds of every bounded value (--relu-tighten; else the root's, not stored)
  std::vector<std::int64_t> rows;  // rows of the polytopes still open
  std::vector<double> row_lower;   // per open row: the best lower bound so far
  std::vector<std::vector<float>> params;  // per open row: alpha and beta (BranchDomain::params)
  double score = 0.0;                      // least slack over open polytopes (more negative: harder)
  std::int64_t next = -1;                  // the unstable neuron to split next (-1: none left)

  std::int64_t bytes() const {
    std::int64_t b = static_cast<std::int64_t>(sizeof(ReluDomain) + splits.size() * sizeof(BranchSplit) +
                                               (lo.size() + hi.size()) * sizeof(float) +
                                               rows.size() * (2 * sizeof(double) + sizeof(std::vector<float>)));
    for (const auto& p : params) b += static_cast<std::int64_t>(p.size() * sizeof(float));
    return b;
  }
};

// Hardest first (best-first search); under memory pressure (past 3/4 of the
// cap, until back under 1/2) deepest first.
class ReluDomainStore {
 public:
  explicit ReluDomainStore(std::int64_t cap) : cap_(cap) {}

  bool fits(std::int64_t more) const { return bytes_ + more <= cap_; }
  void push(ReluDomain d) {
    bytes_ += d.bytes();
    peak_bytes_ = std::max(peak_bytes_, bytes_);
    heap_.push_back(std::move(d));
    std::push_heap(heap_.begin(), heap_.end(), order());
    peak_count_ = std::max(peak_count_, static_cast<std::int64_t>(heap_.size()));
    switch_mode();
  }
  ReluDomain pop() {
    std::pop_heap(heap_.begin(), heap_.end(), order());
    ReluDomain d = std::move(heap_.back());
    heap_.pop_back();
    bytes_ -= d.bytes();
    switch_mode();
    return d;
  }
  const ReluDomain& top() const { return heap_.front(); }
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
  std::function<bool(const ReluDomain&, const ReluDomain&)> order() const {
    if (depth_first_) {
      return [](const ReluDomain& a, const ReluDomain& b) {
        return a.splits.size() != b.splits.size() ? a.splits.size() < b.splits.size() : a.score > b.score;
      };
    }
    return [](const ReluDomain& a, const ReluDomain& b) { return a.score > b.score; };
  }
  void switch_mode() {
    const bool want = depth_first_ ? bytes_ > cap_ / 2 : bytes_ > cap_ / 4 * 3;
    if (want == depth_first_) return;
    depth_first_ = want;
    went_depth_first_ = went_depth_first_ || want;
    std::make_heap(heap_.begin(), heap_.end(), order());
  }

  std::vector<ReluDomain> heap_;
  std::int64_t cap_ = 0, bytes_ = 0, peak_bytes_ = 0, peak_count_ = 0;
  bool depth_first_ = false, went_depth_first_ = false;
};

// Closes the polytopes that a row refutes; sets the score. True when none is left open.
bool settle(const CaseProblem& p, ReluDomain& d, bool margin);

}  // namespace bf
