// `boundflow run-suite FOLDER_OR_CSV`: a benchmark's instances, each verified
// by its own `boundflow verify` process with its timeout (killed a little
// after it), --jobs at a time. Reads expected.csv (onnx,vnnlib,timeout,expected
// with a header) or instances.csv (VNN-COMP's: onnx,vnnlib,timeout, no header);
// paths are relative to the csv and `.gz` variants are found. Writes
// `category,onnx,vnnlib,prepare_s,result,run_s` rows, and when the expected
// verdicts are known prints how many are correct, wrong, unknown/timeout.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli_checks.h"
#include "commands.h"
#include "support/error.h"
#include "support/file_io.h"
#include "support/timer.h"

namespace bf::cli {

namespace {

struct Instance {
  std::string onnx, vnnlib, expected;      // paths resolved against the csv's folder
  std::string listed_onnx, listed_vnnlib;  // as the csv lists them (the result rows repeat these)
  double timeout = 0.0;
};

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, ',')) {
    while (!field.empty() && (field.back() == '\r' || field.back() == ' ')) field.pop_back();
    while (!field.empty() && field.front() == ' ') field.erase(field.begin());
    out.push_back(field);
  }
  return out;
}

std::vector<Instance> read_instances(const std::string& csv) {
  const std::string dir = std::filesystem::path(csv).parent_path().string();
  std::istringstream in(read_file(csv));
  std::vector<Instance> out;
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line.find_first_not_of(" \r") == std::string::npos) continue;
    const auto f = split_csv(line);
    if (number == 1 && !f.empty() && f[0] == "onnx") continue;  // the header of expected.csv
    BF_CHECK(f.size() >= 3, ErrorKind::Parse, "{}:{}: expected onnx,vnnlib,timeout[,expected]", csv, number);
    Instance i;
    i.listed_onnx = f[0];
    i.listed_vnnlib = f[1];
    i.onnx = resolve_maybe_gz((std::filesystem::path(dir) / f[0]).string());
    i.vnnlib = resolve_maybe_gz((std::filesystem::path(dir) / f[1]).string());
    char* end = nullptr;
    i.timeout = std::strtod(f[2].c_str(), &end);
    BF_CHECK(end != f[2].c_str() && std::isfinite(i.timeout) && i.timeout > 0, ErrorKind::Parse,
             "{}:{}: timeout '{}' is not a positive number", csv, number, f[2]);
    if (f.size() > 3) i.expected = f[3];
    out.push_back(std::move(i));
  }
  BF_CHECK(!out.empty(), ErrorKind::Parse, "{}: no instance", csv);
  return out;
}

struct Running {
  pid_t pid = -1;
  std::size_t index = 0;
  Stopwatch watch;
  double limit_s = 0.0;
  std::string result_file;
};

std::string self_binary() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  BF_CHECK(!ec, ErrorKind::Io, "cannot find the boundflow binary (/proc/self/exe)");
  return p.string();
}

}  // namespace

void add_run_suite_command(CLI::App& app) {
  struct Args {
    std::string source, results;
    int jobs = 1;
    double timeout_scale = 1.0;
    std::vector<std::string> verify_args;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run-suite",
                                     "verify every instance of a benchmark (expected.csv or "
                                     "instances.csv), one process each, and summarise");
  cmd->add_option("SOURCE", args->source, "a benchmark folder (with expected.csv or instances.csv) or a csv")
      ->required();
  cmd->add_option("--jobs", args->jobs, "instances at a time (default 1)")->check(integer(1, 256));
  cmd->add_option("--results", args->results, "write category,onnx,vnnlib,prepare_s,result,run_s rows here");
  cmd->add_option("--timeout-scale", args->timeout_scale, "multiply every instance's timeout (default 1)")
      ->check(finite_number(1e-6));
  cmd->add_option("--verify-args", args->verify_args, "extra arguments for each verify (repeatable)");
  cmd->callback([args] {
    std::string csv = args->source;
    if (std::filesystem::is_directory(csv)) {
      const auto expected = std::filesystem::path(csv) / "expected.csv";
      const auto instances = std::filesystem::path(csv) / "instances.csv";
      BF_CHECK(std::filesystem::exists(expected) || std::filesystem::exists(instances), ErrorKind::Io,
               "{}: no expected.csv or instances.csv", csv);
      csv = (std::filesystem::exists(expected) ? expected : instances).string();
    }
    const auto list = read_instances(csv);
    const std::string category = std::filesystem::path(csv).parent_path().filename().string();
    const std::string binary = self_binary();
    const std::string scratch =
        (std::filesystem::temp_directory_path() / ("boundflow-suite-" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(scratch);
    std::vector<std::string> results(list.size());
    std::vector<double> times(list.size(), 0.0);
    std::vector<Running> running;
    std::size_t next = 0;
    while (next < list.size() || !running.empty()) {
      while (next < list.size() && static_cast<int>(running.size()) < args->jobs) {
        const Instance& in = list[next];
        Running r;
        r.index = next;
        r.limit_s = in.timeout * args->timeout_scale;
        r.result_file = scratch + "/" + std::to_string(next) + ".result";
        std::vector<std::string> argv_s = {binary,     "verify",      in.onnx,
                                           in.vnnlib,  "--timeout",   std::to_string(r.limit_s),
                                           "--result", r.result_file, "--quiet"};
        // The cores are shared out between the instances running at once: two
        // processes that each start a thread per core fight over them (an ACAS
        // Xu instance took 3.5 s instead of 0.07 s), unless --verify-args says.
        if (std::find(args->verify_args.begin(), args->verify_args.end(), "--jobs") == args->verify_args.end()) {
          const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
          argv_s.insert(argv_s.end(), {"--jobs", std::to_string(std::max(1, cores / args->jobs))});
        }
        argv_s.insert(argv_s.end(), args->verify_args.begin(), args->verify_args.end());
        r.pid = fork();
        BF_CHECK(r.pid >= 0, ErrorKind::Io, "cannot start a verify process");
        if (r.pid == 0) {
          std::vector<char*> argv;
          for (auto& s : argv_s) argv.push_back(s.data());
          argv.push_back(nullptr);
          setpgid(0, 0);
          const int devnull = open("/dev/null", O_WRONLY);
          if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
          }
          execv(binary.c_str(), argv.data());
          _exit(127);
        }
        running.push_back(std::move(r));
        ++next;
      }
      usleep(2000);
      for (auto it = running.begin(); it != running.end();) {
        int status = 0;
        const pid_t done = waitpid(it->pid, &status, WNOHANG);
        const double t = it->watch.elapsed_ms() / 1000.0;
        if (done == 0 && t > it->limit_s + 5.0) {
          kill(-it->pid, SIGKILL);  // the whole process group: no leftovers
          waitpid(it->pid, &status, 0);
          results[it->index] = "timeout";
          times[it->index] = t;
          it = running.erase(it);
          continue;
        }
        if (done == 0) {
          ++it;
          continue;
        }
        std::string verdict = "error";
        std::error_code ec;
        if (std::filesystem::exists(it->result_file, ec)) {
          std::istringstream f(read_file(it->result_file));
          std::getline(f, verdict);
        }
        results[it->index] = verdict.empty() ? "error" : verdict;
        times[it->index] = t;
        const Instance& in = list[it->index];
        std::fprintf(stderr, "%s %s: %s in %.2f s%s\n", std::filesystem::path(in.onnx).filename().c_str(),
                     std::filesystem::path(in.vnnlib).filename().c_str(), results[it->index].c_str(), t,
                     in.expected.empty() ? "" : (" (expected " + in.expected + ")").c_str());
        it = running.erase(it);
      }
    }
    std::filesystem::remove_all(scratch);
    std::string rows;
    for (std::size_t i = 0; i < list.size(); ++i) {
      rows += fmt::format("{},{},{},{:.3f},{},{:.3f}\n", category, list[i].listed_onnx, list[i].listed_vnnlib, 0.0,
                          results[i], times[i]);
    }
    if (!args->results.empty()) write_file(args->results, rows);
    std::int64_t correct = 0, wrong = 0, open = 0, known = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i].expected.empty()) continue;
      ++known;
      const std::string& r = results[i];
      const bool decided = r == "sat" || r == "unsat";
      if (!decided) {
        ++open;
      } else if (list[i].expected == "unknown" || r == list[i].expected) {
        ++correct;  // an unsolved instance's verdict cannot be checked here; sat ones were re-checked in f64
      } else {
        ++wrong;
      }
    }
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted.empty() ? 0.0 : sorted[sorted.size() / 2];
    std::printf("%s: %zu instances, median %.3f s, max %.3f s\n", category.c_str(), list.size(), median,
                sorted.empty() ? 0.0 : sorted.back());
    if (known > 0) {
      std::printf("  correct %lld, wrong %lld, unknown/timeout %lld (of %lld with an expected verdict)\n",
                  static_cast<long long>(correct), static_cast<long long>(wrong), static_cast<long long>(open),
                  static_cast<long long>(known));
    }
  });
}

}  // namespace bf::cli
