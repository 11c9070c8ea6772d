#include "verify/sound_proof.h"

#include <algorithm>

#include "support/error.h"
#include "support/timer.h"

namespace bf {

SoundProver::SoundProver(std::shared_ptr<const Graph> graph, const CaseProblem& problem, SoundProofOptions options)
    : graph_(std::move(graph)), problem_(problem), options_(std::move(options)) {
  BF_CHECK(options_.method == "crown" || options_.method == "alpha-crown", ErrorKind::Internal, "sound proofs by {}",
           options_.method);
  // f64 runs on plain loops where f32 has oneDNN and the fast kernels; measured
  // ratios f64 / f32 of the sound program: 2-5 on dense networks, 20-80 on
  // sri_resnet_b's convolutions (0.6 s against 11-49 s).
  for (const Node& n : graph_->nodes()) {
    if (n.op == OpKind::Conv) f64_per_f32_ = 100.0;
  }
}

SoundProofOptions sound_proof_options(const VerifyOptions& o, const std::string& method,
                                      std::function<double()> ms_left) {
  SoundProofOptions so;
  so.method = method == "alpha-crown" ? "alpha-crown" : "crown";
  so.alpha = o.alpha;
  so.max_memory = o.max_memory;
  so.ms_left = std::move(ms_left);
  return so;
}

BoxBounder& SoundProver::bounder(DType dtype) {
  std::unique_ptr<BoxBounder>& b = bounders_[dtype];
  if (!b) {
    BoxBounderSetup s;
    s.method = options_.method;
    s.alpha = options_.alpha;
    s.alpha.stop_at_lower.clear();
    s.dtype = dtype;
    s.sound_fp = true;
    s.upper = false;
    s.batch = std::max<std::int64_t>(1, options_.batch);
    // Claims come in any number, one alone for a whole box, and a size is
    // often needed once: preparing a program (and its first run) costs more
    // than padding to one up to four times larger that exists already.
    s.smallest = 1;
    s.ladder = 2;
    s.reuse_larger = true;
    s.max_memory = options_.max_memory;
    s.cache = options_.cache;
    b = std::make_unique<BoxBounder>(graph_, problem_, s);
  }
  return *b;
}

std::vector<double> SoundProver::bound_prepared(DType dtype, const std::vector<const std::vector<double>*>& lower,
                                                const std::vector<const std::vector<double>*>& upper) {
  const auto rows = static_cast<std::size_t>(problem_.num_rows());
  std::vector<double> out;
  BoxBounder& b = bounder(dtype);
  // In pieces of the largest batch, the last one padded to the next prepared
  // size: a program's first run costs more than the padding (its arena's
  // pages, its weights' preparation), and short searches end in a single
  // remainder.
  for (std::size_t first = 0; first < lower.size();) {
    const std::size_t last = std::min(lower.size(), first + static_cast<std::size_t>(b.batch()));
    const std::vector<const std::vector<double>*> lo(lower.begin() + first, lower.begin() + last),
        hi(upper.begin() + first, upper.begin() + last);
    BoundResult r = b.bound(lo, hi);
    const std::vector<double> l = r.outputs[0].lower.to_double_vector();
    out.insert(out.end(), l.begin(), l.begin() + static_cast<std::ptrdiff_t>((last - first) * rows));
    first = last;
  }
  return out;
}

std::vector<double> SoundProver::bound_once(DType dtype, const std::vector<const std::vector<double>*>& lower,
                                            const std::vector<const std::vector<double>*>& upper,
                                            std::shared_ptr<const AlphaValues> alpha_init) {
  BoundRequest req;
  req.graph = graph_;
  req.spec = problem_.spec(dtype);
  std::vector<double> lo, hi;
  for (std::size_t b = 0; b < lower.size(); ++b) {
    lo.insert(lo.end(), lower[b]->begin(), lower[b]->end());
    hi.insert(hi.end(), upper[b]->begin(), upper[b]->end());
  }
  req.region = input_box(lo, hi, graph_->type(graph_->inputs()[0]).shape, dtype, /*outward=*/true);
  req.sound_fp = true;
  req.upper = false;
  req.max_memory = options_.max_memory;
  req.cache = options_.cache;
  req.export_intermediates = true;
  if (options_.method == "alpha-crown") {
    // The search's parameters, evaluated once: any parameters in range give
    // sound lines, so nothing is optimised again.
    req.alpha = options_.alpha;
    req.alpha.stop_at_lower.clear();
    if (alpha_init) {
      req.alpha_init = std::move(alpha_init);
      req.alpha.iterations = 1;
    }
  }
  BoundResult r = make_bound_method(options_.method)->compute(req);
  intermediates_ = std::move(r.intermediates);
  return r.outputs[0].lower.to_double_vector();
}

double SoundProver::f64_estimate_ms(double f32_ms) const { return f64_per_f32_ * f32_ms + 50.0; }

std::vector<bool> SoundProver::prove(const std::vector<const std::vector<double>*>& lower,
                                     const std::vector<const std::vector<double>*>& upper, VerifyStats& stats,
                                     std::shared_ptr<const AlphaValues> alpha_init) {
  const std::size_t n = lower.size();
  const auto rows = static_cast<std::size_t>(problem_.num_rows());
  std::vector<bool> proved(n, false);
  std::vector<std::size_t> open(n);
  for (std::size_t b = 0; b < n; ++b) open[b] = b;
  // f32 bounds of a C that f32 rounds would be of another C: f64 only then.
  const DType stages[2] = {DType::F32, DType::F64};
  double f32_ms = -1.0;
  for (DType dtype : stages) {
    if (open.empty()) break;
    if (dtype == DType::F32 && !problem_.spec_exact_in_f32()) continue;
    if (dtype == DType::F64 && f32_ms >= 0.0 && options_.ms_left && options_.ms_left() < f64_estimate_ms(f32_ms)) {
      stats.sound_f64_skipped += static_cast<std::int64_t>(open.size());
      break;
    }
    Stopwatch stage;
    std::vector<const std::vector<double>*> lo, hi;
    for (std::size_t b : open) {
      lo.push_back(lower[b]);
      hi.push_back(upper[b]);
    }
    std::vector<double> bounds;
    try {
      bounds = alpha_init && options_.method == "alpha-crown" ? bound_once(dtype, lo, hi, alpha_init)
                                                              : bound_prepared(dtype, lo, hi);
    } catch (const Error& e) {
      // An op without a rounding account (Softmax): no claim can be proved.
      if (e.kind() != ErrorKind::Unsupported) throw;
      stats.sound_unsupported = e.what();
      break;
    }
    if (dtype == DType::F32) f32_ms = stage.elapsed_ms();
    std::vector<std::size_t> still;
    for (std::size_t i = 0; i < open.size(); ++i) {
      if (case_refuted(problem_, bounds.data() + i * rows)) {
        proved[open[i]] = true;
        ++(dtype == DType::F32 ? stats.sound_f32 : stats.sound_f64);
      } else {
        still.push_back(open[i]);
      }
    }
    open = std::move(still);
  }
  stats.sound_rejected += static_cast<std::int64_t>(open.size());
  return proved;
}

std::vector<OutputBounds> SoundProver::root_intermediates(std::shared_ptr<const AlphaValues> alpha_init) {
  bound_once(DType::F64, {&problem_.lower}, {&problem_.upper}, std::move(alpha_init));
  return intermediates_;
}

}  // namespace bf
