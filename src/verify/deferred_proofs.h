// The input split's claims waiting for the sound program (docs/soundness.md,
// "Sound floating point"): the search claims a domain proved from its plain
// f32 bound, and the claim counts once a SoundProver confirms it.
//
// With a thread to spare, a worker certifies beside the search: each search
// batch that leaves at least kMinJob claims waiting hands them to the worker as
// a job, and the results of every job are taken when the search has nothing
// else to do (drain). Refused claims thus come back at points fixed by the
// search alone, never by timing: a run's search, verdict and statistics are the
// same whatever the threads' speeds. Without a spare thread, claims are
// certified between the search's batches, a full batch at a time (a program's
// cost per sample is nearly the same however full it is).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "verify/sound_proof.h"
#include "verify/split_domain.h"
#include "verify/verdict.h"

namespace bf {

class DeferredProofs {
 public:
  // `background`: certify on a worker thread (it runs its kernels on one
  // thread of its own). `batch`: the most claims certified at once.
  DeferredProofs(SoundProver& prover, std::size_t batch, bool background);
  ~DeferredProofs();
  DeferredProofs(const DeferredProofs&) = delete;
  DeferredProofs& operator=(const DeferredProofs&) = delete;

  void add(SplitDomain d) { pending_.push_back(std::move(d)); }
  // Nothing waiting and nothing being certified.
  bool idle() const { return pending_.empty() && submitted_ == 0; }

  // After a search batch: the claims refused by certifications finished now
  // (marked `sound`, for the search to go on with; none in background mode);
  // the confirmed ones are counted in `stats`.
  std::vector<SplitDomain> after_batch(VerifyStats& stats);
  // Every claim certified (the search has nothing else to do).
  std::vector<SplitDomain> drain(VerifyStats& stats);

  // Claims waiting at least this many start a background job.
  static constexpr std::size_t kMinJob = 64;

 private:
  struct Job {
    std::vector<SplitDomain> domains;
    std::vector<bool> proved;
    VerifyStats counts;  // the prover's sound_* counters for this job
    std::exception_ptr error;
  };

  // Certifies pending_ on this thread.
  std::vector<SplitDomain> certify_here(VerifyStats& stats);
  // Hands pending_ to the worker as the next job.
  void submit();
  // The proved domains counted, the refused ones returned.
  static std::vector<SplitDomain> settle(Job& job, VerifyStats& stats);
  void run_prover(Job& job);
  void work();

  SoundProver& prover_;
  std::size_t batch_;
  std::vector<SplitDomain> pending_;
  std::size_t submitted_ = 0;  // jobs handed to the worker and not yet taken back

  // Background mode: jobs in order, the worker's next one, and those done.
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queued_, done_;
  bool stop_ = false;
};

}  // namespace bf
