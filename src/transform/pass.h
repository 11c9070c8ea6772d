// A normalisation pass over the primal IR. Passes are deterministic: the same
// graph always gives the same result (and the same remarks), so dumps taken
// between passes can be diffed.
//
// Convention for every pass in this folder: an analysis step reads the graph and
// returns a plan (what to rewrite, and remarks for what it leaves alone and why);
// a separate rewrite step applies the plan, then the pass compacts the graph
// (Graph::compact) so value numbering stays dense and dumps stay stable.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace bf {

class Pass {
 public:
  virtual ~Pass() = default;

  // Stable identifier used in reports, dumps and NormalizeOptions::skip.
  virtual std::string name() const = 0;
  // Rewrites `graph` in place; returns true when it changed anything.
  virtual bool run(Graph& graph) = 0;

  // One line per candidate the last run() left alone, saying why (e.g. a BatchNormalization
  // before a padded Conv). Diagnostics only: they never change what the pass does.
  const std::vector<std::string>& remarks() const { return remarks_; }
  void clear_remarks() { remarks_.clear(); }

  // Exact mode (NormalizeOptions::exact): the pass leaves alone what it could
  // only rewrite by rounding the network's constants. Whatever a pass does
  // round is named in Graph::rounded, in either mode.
  void set_exact(bool exact) { exact_ = exact; }

 protected:
  void remark(std::string text) { remarks_.push_back(std::move(text)); }
  void set_remarks(std::vector<std::string> remarks) { remarks_ = std::move(remarks); }
  bool exact() const { return exact_; }

 private:
  std::vector<std::string> remarks_;
  bool exact_ = false;
};

}  // namespace bf
