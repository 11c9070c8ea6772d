#include "verify/deferred_proofs.h"

#include <omp.h>

#include <utility>

namespace bf {

DeferredProofs::DeferredProofs(SoundProver& prover, std::size_t batch, bool background)
    : prover_(prover), batch_(batch) {
  if (background) worker_ = std::thread([this] { work(); });
}

DeferredProofs::~DeferredProofs() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

std::vector<SplitDomain> DeferredProofs::after_batch(VerifyStats& stats) {
  if (!worker_.joinable()) return pending_.size() >= batch_ ? certify_here(stats) : std::vector<SplitDomain>{};
  if (pending_.size() >= kMinJob) submit();
  return {};
}

std::vector<SplitDomain> DeferredProofs::drain(VerifyStats& stats) {
  if (!worker_.joinable()) return certify_here(stats);
  if (!pending_.empty()) submit();
  std::deque<Job> jobs;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return done_.size() == submitted_; });
    jobs.swap(done_);
  }
  submitted_ = 0;
  std::vector<SplitDomain> refused;
  for (Job& job : jobs) {
    if (job.error) std::rethrow_exception(job.error);
    for (SplitDomain& d : settle(job, stats)) refused.push_back(std::move(d));
  }
  return refused;
}

std::vector<SplitDomain> DeferredProofs::certify_here(VerifyStats& stats) {
  Job job;
  job.domains = std::move(pending_);
  pending_.clear();
  run_prover(job);
  return settle(job, stats);
}

void DeferredProofs::submit() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_.push_back(Job{});
    queued_.back().domains = std::move(pending_);
  }
  pending_.clear();
  ++submitted_;
  cv_.notify_all();
}

std::vector<SplitDomain> DeferredProofs::settle(Job& job, VerifyStats& stats) {
  stats.sound_f32 += job.counts.sound_f32;
  stats.sound_f64 += job.counts.sound_f64;
  stats.sound_rejected += job.counts.sound_rejected;
  stats.sound_f64_skipped += job.counts.sound_f64_skipped;
  if (!job.counts.sound_unsupported.empty()) stats.sound_unsupported = job.counts.sound_unsupported;
  std::vector<SplitDomain> refused;
  for (std::size_t k = 0; k < job.domains.size(); ++k) {
    if (job.proved[k]) {
      ++stats.domains_proved;
      stats.proved_volume += job.domains[k].volume;
    } else {
      job.domains[k].sound = true;
      refused.push_back(std::move(job.domains[k]));
    }
  }
  return refused;
}

void DeferredProofs::run_prover(Job& job) {
  std::vector<const std::vector<double>*> lo, hi;
  for (const SplitDomain& d : job.domains) {
    lo.push_back(&d.lo);
    hi.push_back(&d.hi);
  }
  job.proved = prover_.prove(lo, hi, job.counts);
}

void DeferredProofs::work() {
  // The search keeps the other threads; the worker's kernels run on its own.
  omp_set_num_threads(1);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queued_.empty(); });
    if (stop_) return;
    // One job at a time, as submitted: a claim's bound may depend on the
    // batch it is bounded in (the rows a kernel tile takes together), and the
    // batches must not depend on timing.
    Job job = std::move(queued_.front());
    queued_.pop_front();
    lock.unlock();
    try {
      run_prover(job);
    } catch (...) {
      job.error = std::current_exception();
    }
    lock.lock();
    done_.push_back(std::move(job));
    cv_.notify_all();
  }
}

}  // namespace bf
