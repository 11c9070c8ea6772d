// Runs an ordered list of passes over a graph, checking the IR between passes
// (bf::validate), timing each pass and optionally capturing a textual dump after
// each one (bf::print_graph) for diffing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transform/pass.h"

namespace bf {

struct PassManagerOptions {
  // Run bf::validate on the input graph and after every pass. Debug builds always do,
  // whatever this says: a pass that breaks the IR must never go unnoticed there.
  bool verify_each = true;
  // Keep print_graph() of the input and of the graph after every pass in the report.
  bool capture_dumps = false;
  // Names of passes not to run (every instance of that name). A name that matches no
  // pass in the manager is an error, so a typo cannot silently run everything.
  std::vector<std::string> skip;
};

struct PassRecord {
  std::string name;
  bool skipped = false;
  bool changed = false;
  double wall_ms = 0.0;
  std::vector<std::string> remarks;
  std::string dump_after;  // filled when capture_dumps is set (empty for a skipped pass)
};

struct PassReport {
  std::string dump_before;  // filled when capture_dumps is set
  std::vector<PassRecord> passes;

  bool changed() const;
  // One line per pass: "name: changed|unchanged|skipped (1.234 ms)" plus its remarks, indented.
  std::string summary() const;
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options = {});

  PassManager& add(std::unique_ptr<Pass> pass);
  const std::vector<std::unique_ptr<Pass>>& passes() const { return passes_; }

  // Runs every pass not skipped, in order. Any bf::Error escaping a pass, and any
  // verification failure after it, is rethrown as one bf::Error naming the pass
  // (node and file context are kept). Other exceptions become Internal errors.
  PassReport run(Graph& graph);

  // True when this build verifies after every pass regardless of options (debug builds).
  static bool always_verifies();

 private:
  PassManagerOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
};

}  // namespace bf
