#include "transform/pass_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

#include "ir/printer.h"
#include "support/timer.h"

namespace bf {
namespace {

// A new error with the same kind and context whose message names the pass first.
Error in_pass(const std::string& pass_name, const char* what_failed, const Error& e) {
  Error wrapped(e.kind(), fmt::format("pass '{}' {}: {}", pass_name, what_failed, e.message()));
  if (!e.node().empty() || !e.op().empty()) wrapped.with_node(e.node(), e.op());
  if (!e.file().empty()) wrapped.with_file(e.file());
  return wrapped;
}

}  // namespace

bool PassReport::changed() const {
  return std::any_of(passes.begin(), passes.end(), [](const PassRecord& r) { return r.changed; });
}

std::string PassReport::summary() const {
  std::string out;
  for (const auto& r : passes) {
    const char* state = r.skipped ? "skipped" : (r.changed ? "changed" : "unchanged");
    out += fmt::format("{}: {} ({:.3f} ms)\n", r.name, state, r.wall_ms);
    for (const auto& line : r.remarks) out += fmt::format("  {}\n", line);
  }
  return out;
}

PassManager::PassManager(PassManagerOptions options) : options_(std::move(options)) {}

PassManager& PassManager::add(std::unique_ptr<Pass> pass) {
  BF_ASSERT(pass != nullptr);
  passes_.push_back(std::move(pass));
  return *this;
}

bool PassManager::always_verifies() {
#ifdef NDEBUG
  return false;
#else
  return true;
#endif
}

PassReport PassManager::run(Graph& graph) {
  for (const auto& name : options_.skip) {
    bool known = std::any_of(passes_.begin(), passes_.end(), [&](const auto& p) { return p->name() == name; });
    if (!known) {
      std::string names;
      for (const auto& p : passes_) names += (names.empty() ? "" : ", ") + p->name();
      fail(ErrorKind::Invalid, "cannot skip pass '{}': no such pass in the pipeline ({})", name, names);
    }
  }
  const bool verify = options_.verify_each || always_verifies();

  PassReport report;
  if (verify) {
    try {
      validate(graph);
    } catch (const Error& e) {
      Error wrapped(e.kind(), "graph is invalid before the first pass: " + e.message());
      if (!e.node().empty() || !e.op().empty()) wrapped.with_node(e.node(), e.op());
      if (!e.file().empty()) wrapped.with_file(e.file());
      throw wrapped;
    }
  }
  if (options_.capture_dumps) report.dump_before = print_graph(graph);

  for (const auto& pass : passes_) {
    PassRecord record;
    record.name = pass->name();
    if (std::find(options_.skip.begin(), options_.skip.end(), record.name) != options_.skip.end()) {
      record.skipped = true;
      report.passes.push_back(std::move(record));
      continue;
    }
    pass->clear_remarks();
    Stopwatch watch;
    try {
      record.changed = pass->run(graph);
    } catch (const Error& e) {
      throw in_pass(record.name, "failed", e);
    } catch (const std::exception& e) {
      fail(ErrorKind::Internal, "pass '{}' failed: {}", record.name, e.what());
    }
    record.wall_ms = watch.elapsed_ms();
    record.remarks = pass->remarks();
    if (verify) {
      try {
        validate(graph);
      } catch (const Error& e) {
        throw in_pass(record.name, "produced an invalid graph", e);
      }
    }
    if (options_.capture_dumps) record.dump_after = print_graph(graph);
    report.passes.push_back(std::move(record));
  }
  return report;
}

}  // namespace bf
