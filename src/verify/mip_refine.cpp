#include "verify/mip_refine.h"

#include <Cbc_C_Interface.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "support/error.h"
#include "support/outward_round.h"
#include "support/timer.h"

namespace bf {
namespace {

// Outward margin on a solver's bound (docs/soundness.md, "MIP-refined
// bounds"): CBC's best possible objective is the least LP bound over its open
// nodes, each LP solved by Clp in double with its dual feasibility tolerance
// (1e-7 on every reduced cost). If the reduced costs are within it, the true LP
// minimum is below the solver's by at most 1e-7 times the sum of the columns'
// ranges (Neumaier and Shcherbina, Math. Prog. 2004); we take twice that, plus
// a fixed 5e-4 + 1e-4 |v| for the rest of what the solver does in double (its
// cuts). Not a proof: what this rests on is said there.
double solver_margin(double v, double column_ranges) { return 5e-4 + 1e-4 * std::fabs(v) + 2e-7 * column_ranges; }

bool stopped(const MipRefineOptions& o) { return o.stop && o.stop(); }

struct CbcDeleter {
  void operator()(Cbc_Model* m) const { Cbc_deleteModel(m); }
};
using CbcPtr = std::unique_ptr<Cbc_Model, CbcDeleter>;

// The exact encoding of layers 0 .. k-1 (their ReLUs included) over the box:
// the columns of h_{k} (the inputs of layer k) and a model to clone per objective.
struct Encoding {
  CbcPtr model;
  std::vector<int> h_col;      // per neuron of layer k-1's output (or input when k = 0): its column, -1 when h = 0
  double column_ranges = 0.0;  // the sum of the columns' ranges (upper - lower)
};

Encoding encode(const ReluNetwork& net, const std::vector<double>& lower, const std::vector<double>& upper,
                const std::vector<std::vector<float>>& lo, const std::vector<std::vector<float>>& hi, std::int64_t k) {
  Encoding e;
  e.model.reset(Cbc_newModel());
  Cbc_Model* m = e.model.get();
  Cbc_setLogLevel(m, 0);
  int cols = 0;
  std::vector<int> prev(lower.size());
  for (std::size_t i = 0; i < lower.size(); ++i) {
    Cbc_addCol(m, "", lower[i], upper[i], 0.0, 0, 0, nullptr, nullptr);
    e.column_ranges += upper[i] - lower[i];
    prev[i] = cols++;
  }
  std::vector<int> idx;
  std::vector<double> val;
  for (std::int64_t layer = 0; layer < k; ++layer) {
    const DenseLayer& L = net.layers[static_cast<std::size_t>(layer)];
    const auto& l = lo[static_cast<std::size_t>(layer)];
    const auto& u = hi[static_cast<std::size_t>(layer)];
    std::vector<int> next(static_cast<std::size_t>(L.out), -1);
    for (std::int64_t j = 0; j < L.out; ++j) {
      const double lj = l[static_cast<std::size_t>(j)], uj = u[static_cast<std::size_t>(j)];
      if (uj <= 0.0) continue;  // inactive: h = 0
      // W_j h_prev over the columns that exist.
      idx.clear();
      val.clear();
      const float* w = L.w.data() + j * L.in;
      for (std::int64_t i = 0; i < L.in; ++i) {
        if (prev[static_cast<std::size_t>(i)] >= 0 && w[i] != 0.0f) {
          idx.push_back(prev[static_cast<std::size_t>(i)]);
          val.push_back(-static_cast<double>(w[i]));
        }
      }
      const double b = L.b[static_cast<std::size_t>(j)];
      const int h = cols++;
      next[static_cast<std::size_t>(j)] = h;
      idx.push_back(h);
      val.push_back(1.0);
      const int nz = static_cast<int>(idx.size());
      if (lj >= 0.0) {
        // Active: h = z = W h_prev + b.
        Cbc_addCol(m, "", lj, uj, 0.0, 0, 0, nullptr, nullptr);
        e.column_ranges += uj - lj;
        Cbc_addRow(m, "", nz, idx.data(), val.data(), 'E', b);
        continue;
      }
      // Unstable: h >= 0, h >= z, h <= u d, h <= z - l (1 - d), d binary.
      Cbc_addCol(m, "", 0.0, uj, 0.0, 0, 0, nullptr, nullptr);
      const int d = cols++;
      Cbc_addCol(m, "", 0.0, 1.0, 0.0, 1, 0, nullptr, nullptr);
      e.column_ranges += uj + 1.0;
      Cbc_addRow(m, "", nz, idx.data(), val.data(), 'G', b);  // h - W h_prev >= b
      idx.push_back(d);
      val.push_back(-lj);
      Cbc_addRow(m, "", nz + 1, idx.data(), val.data(), 'L', b - lj);  // h - W h_prev - l d <= b - l
      const int hd[2] = {h, d};
      const double coef[2] = {1.0, -uj};
      Cbc_addRow(m, "", 2, hd, coef, 'L', 0.0);  // h - u d <= 0
    }
    prev = std::move(next);
  }
  // A free binary keeps CBC on its branch-and-bound path even where no ReLU
  // below is unstable (a model without integers goes through its command-line
  // front end, which writes to stdout and reports no best possible bound).
  Cbc_addCol(m, "", 0.0, 1.0, 0.0, 1, 0, nullptr, nullptr);
  e.h_col = std::move(prev);
  return e;
}

// min over the encoding of sign * (W_kj h + b_kj): a sound lower bound, and the
// solver's best input point (empty if it found none).
struct Solved {
  double bound = -std::numeric_limits<double>::infinity();
  bool optimal = false;
  std::vector<double> point;
};

Solved solve(const Encoding& e, const DenseLayer& L, std::int64_t j, double sign, std::int64_t inputs,
             const MipRefineOptions& options) {
  CbcPtr m(Cbc_clone(e.model.get()));
  const float* w = L.w.data() + j * L.in;
  for (std::int64_t i = 0; i < L.in; ++i) {
    const int c = e.h_col[static_cast<std::size_t>(i)];
    if (c >= 0 && w[i] != 0.0f) Cbc_setObjCoeff(m.get(), c, sign * static_cast<double>(w[i]));
  }
  Cbc_setObjSense(m.get(), 1.0);
  Cbc_setLogLevel(m.get(), 0);
  Cbc_setMaximumSeconds(m.get(), options.neuron_seconds);
  if (options.max_nodes >= 0) Cbc_setParameter(m.get(), "maxNodes", std::to_string(options.max_nodes).c_str());
  // What tightens a bound within a fraction of a second is the root's cuts,
  // and of them the mixed-integer rounding cuts on the big-M rows: alone they
  // reach CBC's default bound (mnist 256x4 layer 1, 0.2 s programs). The
  // primal heuristics look for solutions, which a bound does not need: off
  // (0.202 s per program instead of 0.255 s, same bounds). Lift-and-project
  // cuts would narrow the bounds about 1% more, but Debian's CBC 2.10.8 leaks
  // two small objects per program with them (LeakSanitizer): not used.
  Cbc_setParameter(m.get(), "cuts", "off");
  Cbc_setParameter(m.get(), "mixedIntegerRoundingCuts", "on");
  Cbc_setParameter(m.get(), "heuristicsOnOff", "off");
  Cbc_solve(m.get());
  Solved s;
  const int status = Cbc_status(m.get());
  if (status != 0 && status != 1) return s;  // abandoned (numerical trouble) or interrupted: nothing sound
  if (Cbc_isProvenInfeasible(m.get())) return s;
  const double best = Cbc_getBestPossibleObjValue(m.get());
  if (!std::isfinite(best) || std::fabs(best) > 1e20) return s;
  s.bound = best + sign * static_cast<double>(L.b[static_cast<std::size_t>(j)]);
  s.optimal = Cbc_isProvenOptimal(m.get()) != 0;
  if (const double* sol = Cbc_bestSolution(m.get()); sol != nullptr) s.point.assign(sol, sol + inputs);
  return s;
}

// One neuron's refined interval and what its programs did.
struct NeuronResult {
  float lo = 0.0f, hi = 0.0f;
  std::int64_t programs = 0, optimal = 0, tightened = 0, failed_checks = 0;
};

// Both sides of neuron j of layer k (the second only while the first left it
// unstable), from its current bounds.
NeuronResult refine_neuron(const ReluNetwork& net, const Encoding& e, std::int64_t k, std::int64_t j, float lo,
                           float hi, double deviation, const MipRefineOptions& options) {
  const DenseLayer& L = net.layers[static_cast<std::size_t>(k)];
  NeuronResult r;
  r.lo = lo;
  r.hi = hi;
  // The side nearer zero first: where its program shows the neuron stable,
  // the other side does not matter to the relaxation and is not solved (most
  // neurons that turn stable turn inactive: maximising first when the upper
  // bound is the nearer saves their second program; mnist 256x6 layer 3: 175
  // neurons in 56.7 s instead of 88).
  const double first = -lo <= hi ? 1.0 : -1.0;
  for (const double sign : {first, -first}) {
    if (!(r.lo < 0.0f && r.hi > 0.0f)) break;
    const Solved s = solve(e, L, j, sign, net.inputs(), options);
    ++r.programs;
    r.optimal += s.optimal ? 1 : 0;
    if (!std::isfinite(s.bound)) continue;
    // min of sign * z over the dense layers, widened for the solver ...
    double bound = s.bound - solver_margin(s.bound, e.column_ranges);
    if (!s.point.empty()) {
      // A true value of sign * z at a point of the box lies above any sound lower bound.
      const double at = sign * dense_layer_at(net, s.point.data(), k)[static_cast<std::size_t>(j)];
      if (at < bound) {
        ++r.failed_checks;
        continue;
      }
    }
    bound -= deviation;  // ... and for the dense layers' deviation from the exact network
    // Rounded outward to f32, kept only if tighter.
    if (sign > 0) {
      const float v = round_down<float>(bound);
      if (v > r.lo) {
        r.lo = v;
        ++r.tightened;
      }
    } else {
      const float v = round_up<float>(-bound);
      if (v < r.hi) {
        r.hi = v;
        ++r.tightened;
      }
    }
  }
  return r;
}

// The neurons of one layer handed out to `workers` processes: this one and
// workers - 1 forked children (CBC's solve is not thread-safe; separate
// processes are). A shared anonymous mapping holds the next neuron to take and
// each neuron's result; a child takes neurons until none is left or `options.stop()`,
// then leaves with _exit (no destructors, no stdio flush). Returns how many
// processes worked (1 when fork failed: said in the statistics).
int refine_layer(const ReluNetwork& net, const Encoding& e, std::int64_t k, const std::vector<std::int64_t>& unstable,
                 const std::vector<float>& l, const std::vector<float>& u, const std::vector<double>& deviation,
                 const MipRefineOptions& options, std::vector<NeuronResult>& results, std::vector<char>& done) {
  struct Shared {
    std::atomic<std::int64_t> next{0};
  };
  const std::size_t n = unstable.size();
  const std::size_t bytes = sizeof(Shared) + n * (sizeof(NeuronResult) + 1);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  BF_CHECK(mem != MAP_FAILED, ErrorKind::Internal, "mip refine: cannot map {} bytes of shared memory", bytes);
  auto* shared = new (mem) Shared;
  auto* res = reinterpret_cast<NeuronResult*>(static_cast<char*>(mem) + sizeof(Shared));
  auto* flags = reinterpret_cast<char*>(res + n);
  std::memset(flags, 0, n);
  auto work = [&] {
    for (std::int64_t t = shared->next++; t < static_cast<std::int64_t>(n); t = shared->next++) {
      if (stopped(options)) return;
      const std::int64_t j = unstable[static_cast<std::size_t>(t)];
      const auto jj = static_cast<std::size_t>(j);
      res[t] = refine_neuron(net, e, k, j, l[jj], u[jj], deviation.empty() ? 0.0 : deviation[jj], options);
      flags[t] = 1;
    }
  };
  std::vector<pid_t> children;
  for (int w = 1; w < options.processes; ++w) {
    const pid_t pid = fork();
    if (pid == 0) {
      work();
      _exit(0);
    }
    if (pid < 0) break;
    children.push_back(pid);
  }
  work();
  for (pid_t pid : children) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  results.assign(res, res + n);
  done.assign(flags, flags + n);
  munmap(mem, bytes);
  return 1 + static_cast<int>(children.size());
}

// How far each neuron z_k of the dense layers may be from the exact network's
// over the box (their deviations, relu_network.h, carried up the layers: ReLU
// moves by no more than its input): D_k = dev_w_k sum(M(h_k) + D_{k-1}) +
// dev_b_k + |w_k| D_{k-1}.
std::vector<std::vector<double>> dense_deviation(const ReluNetwork& net, const std::vector<double>& lower,
                                                 const std::vector<double>& upper,
                                                 const std::vector<std::vector<float>>& hi) {
  std::vector<std::vector<double>> dev;
  std::vector<double> m_h, d_h(lower.size(), 0.0);
  for (std::size_t i = 0; i < lower.size(); ++i) m_h.push_back(std::max(std::fabs(lower[i]), std::fabs(upper[i])));
  for (std::int64_t k = 0; k < net.relu_layers(); ++k) {
    const DenseLayer& L = net.layers[static_cast<std::size_t>(k)];
    double sum = 0.0;
    for (std::size_t i = 0; i < m_h.size(); ++i) sum += m_h[i] + d_h[i];
    std::vector<double> d(static_cast<std::size_t>(L.out));
    for (std::int64_t j = 0; j < L.out; ++j) {
      const float* w = L.w.data() + j * L.in;
      double carried = 0.0;
      for (std::int64_t i = 0; i < L.in; ++i)
        carried += std::fabs(static_cast<double>(w[i])) * d_h[static_cast<std::size_t>(i)];
      d[static_cast<std::size_t>(j)] =
          (L.dev_w[static_cast<std::size_t>(j)] * sum + L.dev_b[static_cast<std::size_t>(j)] + carried) *
          (1.0 + 0x1p-30);
    }
    m_h.assign(static_cast<std::size_t>(L.out), 0.0);
    for (std::int64_t j = 0; j < L.out; ++j)
      m_h[static_cast<std::size_t>(j)] =
          std::max(0.0, static_cast<double>(hi[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)]));
    d_h = d;
    dev.push_back(std::move(d));
  }
  return dev;
}

}  // namespace

MipRefineStats mip_refine(const ReluNetwork& net, const std::vector<double>& lower, const std::vector<double>& upper,
                          std::vector<std::vector<float>>& lo, std::vector<std::vector<float>>& hi,
                          const MipRefineOptions& options) {
  BF_CHECK(static_cast<std::int64_t>(lo.size()) == net.relu_layers() && lo.size() == hi.size(), ErrorKind::Internal,
           "mip refine: bounds for {} layers, the network has {}", lo.size(), net.relu_layers());
  BF_CHECK(options.processes >= 1, ErrorKind::Usage, "mip refine: processes must be at least 1 (got {})",
           options.processes);
  Stopwatch watch;
  MipRefineStats stats;
  // Layer 0 is affine in the box: its interval bounds are already exact.
  for (std::int64_t k = 1; k < net.relu_layers() && !stopped(options); ++k) {
    auto& l = lo[static_cast<std::size_t>(k)];
    auto& u = hi[static_cast<std::size_t>(k)];
    std::vector<std::int64_t> unstable;
    for (std::int64_t j = 0; j < net.neurons(k); ++j) {
      if (l[static_cast<std::size_t>(j)] < 0.0f && u[static_cast<std::size_t>(j)] > 0.0f) unstable.push_back(j);
    }
    // Sound: the dense layers' values lie within their deviation of the exact
    // network's bounds, so the programs' big-M bounds are widened by it.
    std::vector<std::vector<double>> deviation;
    std::vector<std::vector<float>> enc_lo = lo, enc_hi = hi;
    if (options.sound) {
      deviation = dense_deviation(net, lower, upper, hi);
      for (std::size_t layer = 0; layer < enc_lo.size(); ++layer) {
        for (std::size_t j = 0; j < enc_lo[layer].size(); ++j) {
          if (deviation[layer][j] == 0.0) continue;
          enc_lo[layer][j] = round_down<float>(static_cast<double>(enc_lo[layer][j]) - deviation[layer][j]);
          enc_hi[layer][j] = round_up<float>(static_cast<double>(enc_hi[layer][j]) + deviation[layer][j]);
        }
      }
    }
    const Encoding e = encode(net, lower, upper, enc_lo, enc_hi, k);
    std::vector<NeuronResult> results;
    std::vector<char> done;
    stats.processes = std::max(
        stats.processes, refine_layer(net, e, k, unstable, l, u,
                                      options.sound ? deviation[static_cast<std::size_t>(k)] : std::vector<double>{},
                                      options, results, done));
    bool whole = true;
    for (std::size_t t = 0; t < unstable.size(); ++t) {
      if (!done[t]) {
        whole = false;
        continue;
      }
      const NeuronResult& r = results[t];
      const auto jj = static_cast<std::size_t>(unstable[t]);
      stats.programs += r.programs;
      stats.optimal += r.optimal;
      stats.tightened += r.tightened;
      stats.failed_checks += r.failed_checks;
      l[jj] = std::max(l[jj], r.lo);
      u[jj] = std::min(u[jj], r.hi);
      if (!(l[jj] < 0.0f && u[jj] > 0.0f)) ++stats.stabilised;
    }
    if (whole) ++stats.layers;
    if (k + 1 < net.relu_layers() && !stopped(options) && options.tighten)
      stats.crown_stabilised += options.tighten(lo, hi);
  }
  stats.seconds = watch.elapsed_ms() / 1000.0;
  return stats;
}

}  // namespace bf
