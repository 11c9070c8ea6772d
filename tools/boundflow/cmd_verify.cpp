// `boundflow verify MODEL PROP`: a verdict (sat / unsat / timeout / unknown /
// error) for a network and a VNN-LIB property, printed and, with --result,
// written as VNN-COMP expects (the verdict's line, then for sat the
// counterexample). The result file is written whatever happens, `error`
// included, so a harness always finds one.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "cli_checks.h"
#include "cli_common.h"
#include "commands.h"
#include "frontend/vnnlib/vnnlib.h"
#include "methods/memory_budget.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/timer.h"
#include "verify/verifier.h"

namespace bf::cli {

void add_verify_command(CLI::App& app) {
  struct Args {
    std::string model, property, result_file, max_memory, split = "smear", bab = "auto", branching = "babsr";
    std::int64_t relu_batch = 1024, fsb_candidates = 4;
    std::string relu_tighten = "off", store_cap, mip_refine = "on";
    double mip_after_s = 30.0, mip_share = 0.75, mip_neuron_s = 0.2;
    std::int64_t mip_nodes = -1;
    int relu_iterations = 10;
    double timeout = 300.0;
    std::string method = "auto";
    int jobs = 0;
    std::int64_t seed = 0, split_batch = 256, max_split_inputs = 64;
    bool recheck_f64 = false, quiet = false, fast_unsound_fp = false, sat_exact = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("verify",
                                     "decide a VNN-LIB property: sat (with a counterexample), unsat, "
                                     "timeout or unknown");
  cmd->add_option("MODEL", args->model, "ONNX model (.onnx or .onnx.gz)")->required();
  cmd->add_option("PROPERTY", args->property, "VNN-LIB property (.vnnlib or .vnnlib.gz)")->required();
  cmd->add_option("--timeout", args->timeout, "seconds for the whole verification (default 300)")
      ->check(finite_number(0.001));
  cmd->add_option("--result", args->result_file, "write the verdict (and a counterexample) here, VNN-COMP style");
  cmd->add_option("--method", args->method, "bounds: auto (CROWN, then alpha-CROWN where it pays), crown, alpha-crown")
      ->check(one_of({"auto", "crown", "alpha-crown"}));
  cmd->add_option("--max-memory", args->max_memory,
                  "memory the verification may hold, e.g. 4G (default: 60% of "
                  "the available memory)")
      ->check(byte_size());
  cmd->add_option("--jobs", args->jobs, "threads (0: the default)")->check(integer(0, kMaxThreads));
  cmd->add_option("--seed", args->seed, "random seed of the attacks")->check(integer(0));
  cmd->add_option("--split", args->split, "input split heuristic: smear (default) or gain")
      ->check(one_of({"smear", "gain"}));
  cmd->add_option("--split-batch", args->split_batch, "domains bounded per call (default 256)")
      ->check(integer(1, 1 << 20));
  cmd->add_option("--max-split-inputs", args->max_split_inputs,
                  "input-split branch and bound on inputs of at most this many elements (default 64)")
      ->check(integer(0));
  cmd->add_option("--bab", args->bab,
                  "branch and bound: auto (input split for small inputs, ReLU split otherwise), input, relu")
      ->check(one_of({"auto", "input", "relu"}));
  cmd->add_option("--branching", args->branching, "ReLU split's branching: babsr (default) or fsb")
      ->check(one_of({"fsb", "babsr"}));
  cmd->add_option("--fsb-candidates", args->fsb_candidates, "candidates fsb bounds per domain (default 4)")
      ->check(integer(1, 1024));
  cmd->add_option("--relu-batch", args->relu_batch,
                  "ReLU split: (domain, row) items per bound call, at most (default 1024)")
      ->check(integer(1, 1 << 20));
  cmd->add_option("--relu-iterations", args->relu_iterations,
                  "ReLU split: alpha/beta optimisation steps per bound call (default 10)")
      ->check(integer(0, 10000));
  cmd->add_option("--domain-store", args->store_cap,
                  "ReLU split: the domain store's cap in bytes, e.g. 1G (default: a quarter of --max-memory)")
      ->check(byte_size());
  cmd->add_option("--relu-tighten", args->relu_tighten,
                  "ReLU split: bound every domain's intermediate values again with its splits: on or off (default)")
      ->check(one_of({"on", "off"}));
  cmd->add_option("--mip-refine", args->mip_refine,
                  "ReLU split: where branch and bound alone, after --mip-after seconds (of at least 3 x that), "
                  "would not close its search space by the deadline at its pace so far, tighten the root's "
                  "intermediate bounds by mixed-integer programs (CBC) and split again: on (default) or off")
      ->check(one_of({"on", "off"}));
  cmd->add_option("--mip-after", args->mip_after_s,
                  "--mip-refine: seconds branch and bound runs alone at least (default 30)")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--mip-share", args->mip_share,
                  "--mip-refine: at most this share of the time then left goes to the programs (default 0.75)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--mip-neuron-seconds", args->mip_neuron_s,
                  "--mip-refine: time limit of one neuron's program in seconds (default 0.2)")
      ->check(CLI::Range(0.001, 3600.0));
  cmd->add_option("--mip-nodes", args->mip_nodes,
                  "--mip-refine: branch-and-bound nodes of one program (-1: CBC's default, 0: the root node only)")
      ->check(integer(-1, 1 << 30));
  cmd->add_flag("--fast-unsound-fp", args->fast_unsound_fp,
                "skip the sound re-bounding of proofs: an unsat may then rest on f32 rounding (docs/soundness.md)");
  cmd->add_flag("--sat-exact", args->sat_exact,
                "answer sat for a point that violates the property in exact arithmetic even where f32 evaluation "
                "(onnxruntime's, the VNN-COMP scorer's) does not show the violation");
  cmd->add_flag("--recheck-unsat-f64", args->recheck_f64,
                "with --fast-unsound-fp: re-bound every proved domain in f64 (plain) before answering unsat");
  cmd->add_flag("--quiet", args->quiet, "no progress line on stderr");
  cmd->callback([args] {
    Stopwatch watch;
    VerifyResult r;
    // Written to a temporary name and renamed: a harness that kills us
    // mid-write finds the old file or none, never a truncated counterexample.
    auto write_result = [&](const VerifyResult& res) {
      if (args->result_file.empty()) return;
      const std::string tmp = args->result_file + ".tmp";
      write_file(tmp, format_result(res));
      BF_CHECK(std::rename(tmp.c_str(), args->result_file.c_str()) == 0, ErrorKind::Io, "{}: cannot write the result",
               args->result_file);
    };
    try {
      set_threads(args->jobs);
      VerifyOptions o;
      o.timeout_s = args->timeout;
      o.method = args->method;
      if (!args->max_memory.empty()) o.max_memory = parse_byte_size(args->max_memory, "--max-memory");
      o.jobs = args->jobs;
      o.seed = static_cast<std::uint64_t>(args->seed);
      o.split = args->split == "gain" ? SplitHeuristic::Gain : SplitHeuristic::Smear;
      o.split_batch = args->split_batch;
      o.max_split_inputs = args->max_split_inputs;
      o.sound_fp = !args->fast_unsound_fp;
      BF_CHECK(!args->recheck_f64 || args->fast_unsound_fp, ErrorKind::Usage,
               "--recheck-unsat-f64 applies to --fast-unsound-fp (by default every proof is re-bounded soundly)");
      o.recheck_unsat_f64 = args->recheck_f64;
      o.sat_exact = args->sat_exact;
      o.progress = !args->quiet;
      o.bab = args->bab == "input" ? BabKind::Input : (args->bab == "relu" ? BabKind::Relu : BabKind::Auto);
      o.relu_branching = args->branching == "babsr" ? ReluBranching::Babsr : ReluBranching::Fsb;
      o.fsb_candidates = args->fsb_candidates;
      o.relu_batch = args->relu_batch;
      o.relu_iterations = args->relu_iterations;
      o.relu_tighten = args->relu_tighten == "on";
      o.mip_refine = args->mip_refine == "on";
      o.mip_after_s = args->mip_after_s;
      o.mip_share = args->mip_share;
      o.mip_neuron_s = args->mip_neuron_s;
      o.mip_nodes = args->mip_nodes;
      if (!args->store_cap.empty()) o.domain_store_bytes = parse_byte_size(args->store_cap, "--domain-store");
      // VNN-COMP lists name x.onnx where the benchmark ships x.onnx.gz.
      auto graph = load_model(resolve_maybe_gz(args->model), true, /*exact=*/o.sound_fp);
      const Graph& g = *graph;
      const VnnlibProperty property = parse_vnnlib(
          resolve_maybe_gz(args->property), numel(g.type(g.inputs().at(0)).shape), g.type(g.outputs().at(0)).numel());
      r = verify(graph, property, o);
    } catch (const std::exception& e) {
      // Any failure (bad input, out of memory, ...) still leaves a result file:
      // `unknown` for valid input we do not decide (a nonlinear property, an
      // unsupported operator), `error` for anything else.
      const auto* be = dynamic_cast<const Error*>(&e);
      r.verdict = be != nullptr && be->kind() == ErrorKind::Unsupported ? Verdict::Unknown : Verdict::Error;
      r.message = e.what();
      try {
        write_result(r);
      } catch (const std::exception&) {
      }
      throw;
    }
    write_result(r);
    std::printf("%s\n", verdict_name(r.verdict));
    if (r.verdict == Verdict::Sat) std::printf("%s", format_counterexample(r.counterexample).c_str());
    std::fflush(stdout);
    const VerifyStats& s = r.stats;
    std::string split;
    if (s.bab == "relu") {
      split = fmt::format(
          "; relu split {:.0f} ms (root bounds and programs {:.0f}, bounding {:.0f}, proofs {:.0f}, attacks {:.0f}, "
          "share {:.2f}), "
          "{} unstable ReLUs, {} domains ({:.0f}/s bounding; {} fsb trial bounds), {} proved ({} "
          "infeasible), store "
          "peak {} of {} ({} domains{}), {} proofs re-bounded soundly ({} in f32, {} failed), {} PGD runs inside "
          "subdomains "
          "({} ended inside)",
          s.split_ms, s.relu_setup_ms, s.relu_bound_ms, s.relu_proof_ms, s.relu_attack_ms, s.relu_attack_share,
          s.relu_unstable, s.domains_bounded, s.domains_bounded / std::max(1e-3, s.relu_bound_ms / 1000.0),
          s.trial_bounds, s.domains_proved, s.infeasible_pruned, format_bytes(s.store_peak_bytes),
          format_bytes(s.store_cap_bytes), s.store_peak_domains, s.store_went_depth_first ? ", went depth-first" : "",
          s.f64_rechecked, s.relu_proved_f32, s.f64_rejected, s.domain_attacks, s.domain_attacks_inside);
      if (s.mip_programs > 0) {
        split += fmt::format(
            ", root bounds by {} MIPs in {:.1f} s ({} processes, {} of {} layers whole): {} tightened, {} made "
            "stable ({} failed checks)",
            s.mip_programs, s.mip_s, s.mip_processes, s.mip_layers, s.mip_layers_to_do, s.mip_tightened,
            s.mip_stabilised, s.mip_failed_checks);
      }
      if (r.verdict != Verdict::Unsat && r.verdict != Verdict::Sat) {
        split += fmt::format(", {} open, hardest slack {:.3g}, {:.4g}% of the search space closed", s.open_domains,
                             s.open_slack, 100.0 * s.split_closed);
      }
    } else if (!s.bab.empty() && s.bab != "input") {
      split = "; branch and bound: " + s.bab;
    } else if (s.domains_bounded > 0) {
      split = fmt::format("; input split {:.0f} ms, {} domains, {} proved", s.split_ms, s.domains_bounded,
                          s.domains_proved);
      if (r.verdict != Verdict::Unsat && r.verdict != Verdict::Sat) {
        split += fmt::format(", hardest open domain: slack {:.3g}, width {:.3g}", s.open_slack, s.open_width);
      }
    }
    std::string sound = args->fast_unsound_fp ? "; --fast-unsound-fp: proofs not re-bounded soundly" : "";
    if (!args->fast_unsound_fp && s.sound_f32 + s.sound_f64 + s.sound_rejected > 0) {
      sound = fmt::format("; sound proofs: {} in f32, {} in f64, {} claims refused", s.sound_f32, s.sound_f64,
                          s.sound_rejected);
      if (s.sound_f64_skipped > 0) sound += fmt::format(" ({} with no time left for f64)", s.sound_f64_skipped);
    }
    const std::string why = r.verdict == Verdict::Unknown && !r.message.empty() ? ": " + r.message : "";
    std::fprintf(stderr, "boundflow verify: %s%s in %.3f s%s%s (attacks %.0f ms, %lld PGD steps; bounds %.0f ms%s%s)\n",
                 verdict_name(r.verdict), why.c_str(), watch.elapsed_ms() / 1000.0, s.decided_by.empty() ? "" : ", by ",
                 s.decided_by.c_str(), s.falsify_ms, static_cast<long long>(s.attack_steps), s.bound_ms, split.c_str(),
                 sound.c_str());
  });
}

}  // namespace bf::cli
